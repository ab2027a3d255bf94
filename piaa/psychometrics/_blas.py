"""Keep BLAS on one thread inside the numeric routines.

Our matrix products are many and mid-sized ((persons, items) by (items, nodes)); with one
worker process per core, as the service runs, multithreaded BLAS spends more on thread
hand-offs than it saves. Measured on a 2-core machine with the other core busy: a 2PL
calibration of 10,000 x 50 took 0.10 s on one thread against 0.19-0.32 s on two, and
100,000 x 100 took 1.27 s against 1.92 s.
"""
from __future__ import annotations

import contextlib

try:  # optional: without it everything works, only slower on a busy machine
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None

_controller = None


def one_blas_thread():
    """Context limiting BLAS to one thread, when threadpoolctl is installed."""
    global _controller
    if ThreadpoolController is None:
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def single_blas_thread(func):
    """Decorator form of ``one_blas_thread`` (keeps the function's name and docstring)."""
    import functools

    @functools.wraps(func)
    def run(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)

    return run
