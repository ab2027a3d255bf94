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
)
