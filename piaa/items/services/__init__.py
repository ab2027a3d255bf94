"""The items domain's rules. Every function takes a session and plain values, raises
``piaa.errors`` domain errors and never commits (the request, command or job does).

Stable entry points for importers, exporters and other domains:

- competencies: ``read_competency_file``, ``parse_competency_csv``, ``parse_competency_json``,
  ``import_competencies``, ``upsert_competency``, ``competency_record``, ``get_competency``,
  ``find_competency``, ``search_competencies``
- banks: ``create_bank``, ``list_banks``, ``get_bank``, ``find_bank``, ``bank_overview``,
  ``bank_competency``
- items: ``check_item``, ``check_bank_item``, ``create_item``, ``create_item_from_bank_json``,
  ``create_items_from_bank_json`` (many at once, for imports), ``update_item``, ``get_item``,
  ``find_item``, ``search_items``, ``review_queue``, ``item_to_bank_json``, ``candidate_view``
- workflow: ``TRANSITIONS``, ``transition``, ``allowed_actions``, ``submit_item``,
  ``review_item``, ``retire_item``, ``promote_item``, ``decisions_for``
"""
from piaa.items.services.access import can_read_bank, require_bank_role, visible_banks
from piaa.items.services.banks import (BankOverview, bank_competency, bank_overview, create_bank, find_bank, get_agency,
                                       get_bank, list_agencies,
                                       list_banks)
from piaa.items.services.competencies import (CompetencyImport, SourcedRecord, competency_record,
                                              find_competency, get_competency, import_competencies,
                                              parse_competency_csv, parse_competency_json,
                                              read_competency_file, search_competencies,
                                              upsert_competency)
from piaa.items.services.items import (LOADABLE_STATES, ItemPage, candidate_view, check_bank_item,
                                       check_item, create_item, create_item_from_bank_json, find_item,
                                       get_item, item_to_bank_json, review_queue, search_items,
                                       update_item)
from piaa.items.services.loading import create_items_from_bank_json
from piaa.items.services.workflow import (TRANSITIONS, BulkOutcome, Transition, allowed_actions, approve_items,
                                          check_move, decisions_for, find_transition, items_in_state,
                                          promote_item, retire_item, review_item, submit_item, submit_items,
                                          transition, written_or_submitted_by)

__all__ = [
    "BankOverview", "BulkOutcome", "CompetencyImport", "approve_items", "items_in_state", "submit_items",
    "written_or_submitted_by", "ItemPage", "LOADABLE_STATES", "SourcedRecord",
    "TRANSITIONS", "Transition", "allowed_actions", "bank_competency", "bank_overview", "can_read_bank",
    "candidate_view", "check_bank_item", "check_item", "check_move", "competency_record",
    "create_bank", "create_item", "create_item_from_bank_json", "create_items_from_bank_json",
    "decisions_for", "find_bank", "find_competency", "find_item", "find_transition",
    "get_agency", "get_bank", "get_competency", "get_item", "import_competencies",
    "item_to_bank_json", "list_agencies", "list_banks", "parse_competency_csv",
    "parse_competency_json", "promote_item", "read_competency_file", "require_bank_role",
    "retire_item", "review_item", "review_queue", "search_competencies", "search_items",
    "submit_item", "transition", "update_item", "upsert_competency", "visible_banks"]
