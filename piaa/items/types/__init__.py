"""The item-type registry: every kind of item the service can hold, deliver and score.

``ITEM_TYPES`` maps the bank format's ``type`` to a class (see ``ItemType`` in
``piaa.items.types.base`` for what each knows). A new kind of item is one class here.
"""
from __future__ import annotations

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.types.associate import Associate, GraphicAssociate
from piaa.items.types.association import Matching
from piaa.items.types.base import LANGUAGES, META_FIELDS, ItemType, Problem, Score
from piaa.items.types.choice import MultipleResponse, SingleChoice, TrueFalse
from piaa.items.types.composite import Composite
from piaa.items.types.entry import NumericEntry, TextEntry
from piaa.items.types.essay import ExtendedText
from piaa.items.types.graphic import GraphicGapMatch, GraphicOrder, SelectPoint
from piaa.items.types.hotspot import Hotspot
from piaa.items.types.ordering import Ordering
from piaa.items.types.polytomous import Likert, SituationalJudgement
from piaa.items.types.slider import Slider
from piaa.items.types.submitted import Drawing, FileUpload

ITEM_TYPES: dict[str, type[ItemType]] = {
    t.name: t for t in (SingleChoice, MultipleResponse, TrueFalse, TextEntry, NumericEntry,
                        Ordering, SituationalJudgement, Likert, Matching, Hotspot, Composite,
                        ExtendedText, GraphicOrder, GraphicGapMatch, GraphicAssociate, Associate,
                        SelectPoint, Slider, FileUpload, Drawing)
}


def get_item_type(name: str) -> type[ItemType]:
    """:raise Invalid: naming the known types, if ``name`` is not one."""
    try:
        return ITEM_TYPES[name]
    except (KeyError, TypeError):
        raise Invalid(N_("unknown item type {name}; known types: {item_types}"),
                      field="type",
                      values={"name": repr(name), "item_types": ', '.join(ITEM_TYPES)}) from None


__all__ = ["ITEM_TYPES", "LANGUAGES", "META_FIELDS", "ItemType", "Problem", "Score", "get_item_type"]
