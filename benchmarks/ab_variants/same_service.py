"""Variant for ``interleaved_ab.py`` that changes nothing: both halves serve the service as
it is, so the gap between them is the comparison's own noise (run it before trusting a gap)."""
from piaa.gunicorn_config import *  # noqa: F401,F403  (the service's settings and hooks)
