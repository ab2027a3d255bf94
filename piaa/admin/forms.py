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
from piaa.delivery.models import MODES, NAVIGATIONS, PURPOSES
from piaa.delivery.timing import PAUSE_POLICIES
from piaa.items.models import PROFICIENCY_LEVELS
from piaa.items.types import LANGUAGES

REQUIRED = "Fill this in."
NUMBER = "Enter a number."


def required() -> InputRequired:
    return InputRequired(message=REQUIRED)


def between(low, high) -> NumberRange:
    return NumberRange(low, high, message=f"Enter a number from {low} to {high}.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


MODE_NAMES = {"fixed": "Fixed form", "loft": "A form drawn for each candidate (LOFT)",
              "adaptive": "Adaptive (CAT)"}
PURPOSE_NAMES = {"pre_course": "Before the course", "post_course": "After the course",
                 "certification": "Certification"}
NAVIGATION_NAMES = {"free": "Free: move between questions and change answers",
                    "linear": "Linear: one question at a time, an answer is final"}
PAUSE_NAMES = {"clock_stops": "The clock stops while paused", "clock_runs": "The clock runs while paused"}
LANGUAGE_NAMES = {"en": "English", "hi": "Hindi"}


class AssessmentForm(FlaskForm):
    """Everything of an assessment but its blueprint grid, which the view reads cell by cell."""

    code = StringField("Code", validators=[DataRequired(message=REQUIRED), Length(max=64)])
    title = StringField("Title", validators=[DataRequired(message=REQUIRED), Length(max=200)])
    title_hi = StringField("Title in Hindi", validators=[Optional(), Length(max=200)])
    bank_id = SelectField("Item bank", coerce=int)
    purpose = SelectField("Purpose", choices=[(p, PURPOSE_NAMES[p]) for p in PURPOSES])
    mode = SelectField("Mode", choices=[(m, MODE_NAMES[m]) for m in MODES])
    tolerance = IntegerField("Cells may fall short by at most", default=0,
                             validators=[required(), between(0, 10)])
    time_limit_min = IntegerField("Time limit (minutes)", default=30, validators=[required(), between(1, 360)])
    se_target = FloatField("Stop when the standard error of θ is at most", validators=[Optional(), between(0.1, 1.5)])
    min_items = IntegerField("At least this many items", validators=[Optional(), between(1, 200)])
    max_items = IntegerField("At most this many items", validators=[Optional(), between(1, 200)])
    pretest_count = IntegerField("Unscored pretest items", default=0, validators=[required(), between(0, 20)])
    cut1 = FloatField("Level 1 begins at θ", default=-2.0, validators=[required(), between(-6, 6)])
    cut2 = FloatField("Level 2 begins at θ", default=-1.0, validators=[required(), between(-6, 6)])
    cut3 = FloatField("Level 3 begins at θ", default=0.0, validators=[required(), between(-6, 6)])
    cut4 = FloatField("Level 4 begins at θ", default=1.0, validators=[required(), between(-6, 6)])
    cut5 = FloatField("Level 5 begins at θ", default=2.0, validators=[required(), between(-6, 6)])
    pcut1 = FloatField("Level 1 begins at per cent", validators=[Optional(), between(0, 100)])
    pcut2 = FloatField("Level 2 begins at per cent", validators=[Optional(), between(0, 100)])
    pcut3 = FloatField("Level 3 begins at per cent", validators=[Optional(), between(0, 100)])
    pcut4 = FloatField("Level 4 begins at per cent", validators=[Optional(), between(0, 100)])
    pcut5 = FloatField("Level 5 begins at per cent", validators=[Optional(), between(0, 100)])
    certifying_level = SelectField("Certifying level", coerce=str,
                                   choices=[("", "None: this assessment certifies nothing")]
                                   + [(str(n), f"Level {n}") for n in PROFICIENCY_LEVELS])
    confidence_percent = IntegerField("Confidence a certificate needs (per cent)", default=80,
                                      validators=[required(), between(50, 99)])
    rating_tolerance = FloatField("Points two raters of a written answer may differ by", default=1.0,
                                  validators=[Optional(), between(0, 100)])
    navigation = SelectField("Navigation", choices=[(n, NAVIGATION_NAMES[n]) for n in NAVIGATIONS])
    pause_policy = SelectField("Pause policy", choices=[(p, PAUSE_NAMES[p]) for p in PAUSE_POLICIES])
    require_admission = BooleanField("A proctor admits each candidate before the start")
    allow_other_device = BooleanField("A candidate may resume on another device", default=True)
    heartbeat_timeout_s = IntegerField("Silence counted as a disconnection (seconds)", default=45,
                                       validators=[required(), between(15, 600)])
    min_reading_s = FloatField("Answers sooner than this are flagged (seconds)", default=2.0,
                               validators=[required(), between(0, 60)])
    languages = MultiCheckboxField("Languages", choices=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
                                   default=["en"])
    exposure_k = IntegerField("Adaptive exposure control: choose among the k most informative items",
                              default=3, validators=[required(), between(1, 20)])

    THETA_CUTS = ("cut1", "cut2", "cut3", "cut4", "cut5")
    PERCENT_CUTS = ("pcut1", "pcut2", "pcut3", "pcut4", "pcut5")


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message=REQUIRED), Length(max=200)])
    course = StringField("Course", validators=[Optional(), Length(max=200)])
    provider_id = SelectField("Provider (training institute)", coerce=int)
    members = FileField("Members (CSV with columns email and time_factor)")


class MembersForm(FlaskForm):
    members = FileField("Members (CSV with columns email and time_factor)")


class AccommodationForm(FlaskForm):
    time_factor = FloatField("Time factor", validators=[required(), between(0.1, 4)])


class WindowForm(FlaskForm):
    assessment_id = SelectField("Assessment", coerce=int)
    cohort_id = SelectField("Cohort", coerce=int)
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    opens_at = DateTimeLocalField("Opens (India time)", format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(message="Enter a date and time.")])
    closes_at = DateTimeLocalField("Closes (India time)", format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(message="Enter a date and time.")])
    access_code = StringField("Access code (optional)", validators=[Optional(), Length(max=64)])
    max_attempts = IntegerField("Attempts allowed", default=1, validators=[required(), between(1, 10)])
    proctors = MultiCheckboxField("Proctors", coerce=int)


class ProctorForm(FlaskForm):
    proctor_id = SelectField("Proctor", coerce=int)


class AccountForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(message=REQUIRED),
                                             Email(message="Enter an e-mail address.", check_deliverability=False)])
    name = StringField("Name", validators=[DataRequired(message=REQUIRED), Length(max=200)])
    name_hi = StringField("Name in Hindi", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=[(r, r) for r in ROLES])
    organisation_id = SelectField("Organisation", coerce=int)
    password = PasswordField("Password (leave empty to generate one)", validators=[Optional(), Length(min=12, max=200,
                             message="A password needs 12 to 200 characters.")])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[(r, r) for r in ROLES])


class TokenForm(FlaskForm):
    label = StringField("What the token is for", validators=[Optional(), Length(max=100)])


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message=REQUIRED), Length(max=200)])
    name_hi = StringField("Name in Hindi", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=[(k, k) for k in ORGANISATION_KINDS])


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(message="Say why the certificate is revoked."),
                                                 Length(max=2000)])
