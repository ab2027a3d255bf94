"""Forms for signing in."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from piaa.i18n import lazy_gettext as _l


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
