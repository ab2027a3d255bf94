"""The administration forms (Flask-WTF). They check types and ranges in plain words; the
rules of the domain (a sound blueprint, ascending cuts, a window that closes after it opens)
stay in the services, whose errors the views put beside the field they name."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateTimeLocalField, EmailField, FloatField, IntegerField,
                     PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from piaa.accounts.models import ORGANISATION_KINDS, ROLES
from piaa.delivery.assessments import PROCTORING_DEFAULTS
from piaa.delivery.models import MODES, NAVIGATIONS, PURPOSES
from piaa.delivery.timing import PAUSE_POLICIES
from piaa.i18n import lazy_gettext as _l
from piaa.items.models import PROFICIENCY_LEVELS
from piaa.items.types import LANGUAGES

REQUIRED = _l("Fill this in.")
NUMBER = _l("Enter a number.")


def required() -> InputRequired:
    return InputRequired(message=REQUIRED)


def between(low, high) -> NumberRange:
    return NumberRange(low, high, message=_l("Enter a number from {low} to {high}.", low=low, high=high))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


MODE_NAMES = {"fixed": _l("Fixed form"), "loft": _l("A form drawn for each candidate (LOFT)"),
              "adaptive": _l("Adaptive (CAT)")}
PURPOSE_NAMES = {"pre_course": _l("Before the course"), "post_course": _l("After the course"),
                 "certification": _l("Certification")}
NAVIGATION_NAMES = {"free": _l("Free: move between questions and change answers"),
                    "linear": _l("Linear: one question at a time, an answer is final")}
PAUSE_NAMES = {"clock_stops": _l("The clock stops while paused"), "clock_runs": _l("The clock runs while paused")}
LANGUAGE_NAMES = {"en": _l("English"), "hi": _l("Hindi")}


class AssessmentForm(FlaskForm):
    """Everything of an assessment but its blueprint grid, which the view reads cell by cell."""

    code = StringField(_l("Code"), validators=[DataRequired(message=REQUIRED), Length(max=64)])
    title = StringField(_l("Title"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    title_hi = StringField(_l("Title in Hindi"), validators=[Optional(), Length(max=200)])
    bank_id = SelectField(_l("Item bank"), coerce=int)
    purpose = SelectField(_l("Purpose"), choices=[(p, PURPOSE_NAMES[p]) for p in PURPOSES])
    mode = SelectField(_l("Mode"), choices=[(m, MODE_NAMES[m]) for m in MODES])
    tolerance = IntegerField(_l("Cells may fall short by at most"), default=0,
                             validators=[required(), between(0, 10)])
    time_limit_min = IntegerField(_l("Time limit (minutes)"), default=30, validators=[required(), between(1, 360)])
    se_target = FloatField(_l("Stop when the standard error of θ is at most"), validators=[Optional(), between(0.1, 1.5)])
    min_items = IntegerField(_l("At least this many items"), validators=[Optional(), between(1, 200)])
    max_items = IntegerField(_l("At most this many items"), validators=[Optional(), between(1, 200)])
    pretest_count = IntegerField(_l("Unscored pretest items"), default=0, validators=[required(), between(0, 20)])
    cut1 = FloatField(_l("Level 1 begins at θ"), default=-2.0, validators=[required(), between(-6, 6)])
    cut2 = FloatField(_l("Level 2 begins at θ"), default=-1.0, validators=[required(), between(-6, 6)])
    cut3 = FloatField(_l("Level 3 begins at θ"), default=0.0, validators=[required(), between(-6, 6)])
    cut4 = FloatField(_l("Level 4 begins at θ"), default=1.0, validators=[required(), between(-6, 6)])
    cut5 = FloatField(_l("Level 5 begins at θ"), default=2.0, validators=[required(), between(-6, 6)])
    pcut1 = FloatField(_l("Level 1 begins at per cent"), validators=[Optional(), between(0, 100)])
    pcut2 = FloatField(_l("Level 2 begins at per cent"), validators=[Optional(), between(0, 100)])
    pcut3 = FloatField(_l("Level 3 begins at per cent"), validators=[Optional(), between(0, 100)])
    pcut4 = FloatField(_l("Level 4 begins at per cent"), validators=[Optional(), between(0, 100)])
    pcut5 = FloatField(_l("Level 5 begins at per cent"), validators=[Optional(), between(0, 100)])
    certifying_level = SelectField(_l("Certifying level"), coerce=str,
                                   choices=[("", "None: this assessment certifies nothing")]
                                   + [(str(n), _l("Level {n}", n=n)) for n in PROFICIENCY_LEVELS])
    confidence_percent = IntegerField(_l("Confidence a certificate needs (per cent)"), default=80,
                                      validators=[required(), between(50, 99)])
    rating_tolerance = FloatField(_l("Points two raters of a written answer may differ by"), default=1.0,
                                  validators=[Optional(), between(0, 100)])
    navigation = SelectField(_l("Navigation"), choices=[(n, NAVIGATION_NAMES[n]) for n in NAVIGATIONS])
    pause_policy = SelectField(_l("Pause policy"), choices=[(p, PAUSE_NAMES[p]) for p in PAUSE_POLICIES])
    require_admission = BooleanField(_l("A proctor admits each candidate before the start"))
    allow_other_device = BooleanField(_l("A candidate may resume on another device"), default=True)
    heartbeat_timeout_s = IntegerField(_l("Silence counted as a disconnection (seconds)"),
                                       default=PROCTORING_DEFAULTS["heartbeat_timeout_s"],
                                       validators=[required(), between(15, 600)])
    min_reading_s = FloatField(_l("Answers sooner than this are flagged (seconds)"),
                               default=PROCTORING_DEFAULTS["min_reading_s"],
                               validators=[required(), between(0, 60)])
    languages = MultiCheckboxField(_l("Languages"), choices=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
                                   default=["en"])
    exposure_k = IntegerField(_l("Adaptive exposure control: choose among the k most informative items"),
                              default=3, validators=[required(), between(1, 20)])

    THETA_CUTS = ("cut1", "cut2", "cut3", "cut4", "cut5")
    PERCENT_CUTS = ("pcut1", "pcut2", "pcut3", "pcut4", "pcut5")


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    course = StringField(_l("Course"), validators=[Optional(), Length(max=200)])
    provider_id = SelectField(_l("Provider (training institute)"), coerce=int)
    members = FileField(_l("Members (CSV with columns email and time_factor)"))


class MembersForm(FlaskForm):
    members = FileField(_l("Members (CSV with columns email and time_factor)"))


class AccommodationForm(FlaskForm):
    time_factor = FloatField(_l("Time factor"), validators=[required(), between(0.1, 4)])


class WindowForm(FlaskForm):
    assessment_id = SelectField(_l("Assessment"), coerce=int)
    cohort_id = SelectField(_l("Cohort"), coerce=int)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    opens_at = DateTimeLocalField(_l("Opens (India time)"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(message=_l("Enter a date and time."))])
    closes_at = DateTimeLocalField(_l("Closes (India time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message=_l("Enter a date and time."))])
    access_code = StringField(_l("Access code (optional)"), validators=[Optional(), Length(max=64)])
    max_attempts = IntegerField(_l("Attempts allowed"), default=1, validators=[required(), between(1, 10)])
    proctors = MultiCheckboxField(_l("Proctors"), coerce=int)


class ProctorForm(FlaskForm):
    proctor_id = SelectField(_l("Proctor"), coerce=int)


class AccountForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=REQUIRED),
                                             Email(message=_l("Enter an e-mail address."), check_deliverability=False)])
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    name_hi = StringField(_l("Name in Hindi"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    organisation_id = SelectField(_l("Organisation"), coerce=int)
    password = PasswordField(_l("Password (leave empty to generate one)"), validators=[Optional(), Length(min=12, max=200,
                             message=_l("A password needs 12 to 200 characters."))])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])


class TokenForm(FlaskForm):
    label = StringField(_l("What the token is for"), validators=[Optional(), Length(max=100)])


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    name_hi = StringField(_l("Name in Hindi"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[(k, k) for k in ORGANISATION_KINDS])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Say why the certificate is revoked.")),
                                                 Length(max=2000)])
