"""Variant for ``interleaved_ab.py``: one more round trip to PostgreSQL (``SELECT 1``) before
each answer carrying the move, the price of a round trip under load."""
from sqlalchemy import text

from ab_switch import variant_on
from piaa.delivery import attempts
from piaa.gunicorn_config import *  # noqa: F401,F403  (the service's settings and hooks)

_answer_and_advance = attempts.answer_and_advance


def answer_and_advance(session, *args, **kwargs):
    if variant_on():
        session.execute(text("SELECT 1"))
    return _answer_and_advance(session, *args, **kwargs)


attempts.answer_and_advance = answer_and_advance
