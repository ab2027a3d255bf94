"""Stored codes that pages show as words, through ``_(code)``: roles, states, kinds of
organisation, decisions and actions. They are written once in the models and services as plain
codes; this list marks them for the catalogue so that each has its translation."""
from piaa.i18n import N_

SHOWN_CODES = (
    N_("adaptive"), N_("admin"), N_("agency"), N_("analyst"), N_("approve"), N_("approved"),
    N_("author"), N_("candidate"), N_("certification"), N_("clock_runs"), N_("clock_stops"),
    N_("coe_reviewer"), N_("consent"), N_("delivered"), N_("draft"), N_("exclude"), N_("female"),
    N_("fixed"), N_("flag"), N_("forward"), N_("free"), N_("gave_up"), N_("in_review"),
    N_("include"), N_("linear"), N_("loft"), N_("male"), N_("mdo"), N_("mdo_leadership"),
    N_("mdo_staff"), N_("no post"), N_("no pre"), N_("operational"), N_("other"), N_("pending"),
    N_("post_course"), N_("pre_course"), N_("proctor"), N_("promote"), N_("provider"),
    N_("psychometrician"), N_("resubmit"), N_("retire"), N_("retired"), N_("return"),
    N_("reviewer"), N_("send_back"), N_("sent to review"), N_("submit"), N_("voided"),
    N_("workplace_rater"),
    N_(" or "),  # joins a list of codes in a message: "analyst or admin"
    N_("anchors"), N_("linked"),  # calibration scales
)

# Report wording: why enrolments were not matched, the ministry composite's components, the
# columns DIF compares groups on.
REPORT_CODES = (
    N_("enrolled"), N_("matched"), N_("participation"), N_("matched_rate"), N_("gain"), N_("required_level"),
    N_("gender"), N_("service"), N_("language"),
)

# An attempt's timeline as a proctor reviews it: what happened, how serious, and the details'
# names and values.
TIMELINE_CODES = (
    N_("created"), N_("check_in"), N_("start"), N_("pause"), N_("resume"), N_("submit"), N_("time_out"),
    N_("terminate"), N_("score"), N_("scored"), N_("rescored"), N_("void"), N_("shown"), N_("answered"),
    N_("page_hidden"), N_("window_blur"), N_("fullscreen_exit"), N_("copy"), N_("paste"), N_("context_menu"),
    N_("second_tab"), N_("offline"), N_("online"), N_("heartbeat"), N_("ip_change"), N_("user_agent_change"),
    N_("concurrent_session"), N_("heartbeat_lost"), N_("reconnected"), N_("fast_answer"), N_("signals_over_rate"),
    N_("admit"), N_("warning"), N_("add_time"), N_("incident_note"),
    N_("info"), N_("low"), N_("medium"), N_("high"),
    N_("from"), N_("to"), N_("method"), N_("raw"), N_("max"), N_("window"), N_("assessment"), N_("time_factor"),
    N_("simulated"), N_("reason"), N_("message"), N_("minutes"), N_("note"), N_("classical"), N_("eap"),
    N_("True"), N_("False"),
    # the browser's system check at check-in, as the timeline reports it
    N_("system_check"), N_("received"), N_("script"), N_("storage"), N_("screen"), N_("fullscreen"), N_("tabs"),
)

# Names of an item's parts and of workplace raters' relations, as problems and pages name them.
ITEM_AND_RATER_CODES = (
    N_("question"), N_("rationale"), N_("option"), N_("rater"),
    N_("supervisor"), N_("peer"), N_("report"), N_("self"),
)

# States that refusals name as values ("this attempt is {attempt_state}", "proposal ... is
# {proposal_state}") and pages show as words: an attempt's, a proposal's, a calibration run's.
# An attempt's refusal to take answers writes its state with spaces ("timed out").
STATE_CODES = (
    N_("checked_in"), N_("in_progress"), N_("paused"), N_("submitted"), N_("timed_out"), N_("terminated"),
    N_("awaiting_ratings"),
    N_("checked in"), N_("in progress"), N_("timed out"), N_("awaiting ratings"),
    N_("mdo_scrutiny"), N_("coe_review"), N_("consented"), N_("returned"),
    N_("queued"), N_("running"), N_("finished"), N_("failed"),
)
