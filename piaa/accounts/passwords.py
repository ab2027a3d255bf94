"""The password policy: long enough, and not one of the passwords attackers try first.

Length over composition rules, as NIST SP 800-63B (section 5.1.1.2) advises: at least
``MIN_LENGTH`` characters, at most ``MAX_LENGTH``, and not on the list of common passwords
shipped beside this module (its source is in COMMON-PASSWORDS.md).
"""
from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from piaa.errors import Invalid
from piaa.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 200  # what the sign-in form accepts
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password_policy(password: str, field: str = "password") -> None:
    """:raise Invalid: saying what is wrong with ``password`` (never repeating it)."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise Invalid(N_("a password needs at least {min_length} characters; a short phrase of several "
                         "words is easy to remember and hard to guess"), field=field,
                      values={"min_length": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        raise Invalid(N_("a password may have at most {max_length} characters"), field=field,
                      values={"max_length": MAX_LENGTH})
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        raise Invalid(N_("this password is among the most common ones and is guessed first; "
                      "choose another"), field=field)
