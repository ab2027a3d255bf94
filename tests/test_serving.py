"""The gunicorn settings the image and the load benchmark serve with (``piaa.gunicorn_config``);
``tests/delivery/test_crash.py`` runs a real gunicorn with them."""
import gc

from piaa import gunicorn_config


def test_workers_default_to_two_per_core(monkeypatch):
    import importlib
    import os

    monkeypatch.delenv("WEB_WORKERS", raising=False)
    assert importlib.reload(gunicorn_config).workers == 2 * (os.cpu_count() or 1)
    monkeypatch.setenv("WEB_WORKERS", "3")
    assert importlib.reload(gunicorn_config).workers == 3
    monkeypatch.delenv("WEB_WORKERS")
    importlib.reload(gunicorn_config)  # as the rest of the run found it


def test_a_loaded_worker_moves_what_it_holds_out_of_the_collectors_way():
    before = gc.get_freeze_count()
    try:
        gunicorn_config.post_worker_init(worker=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_a_stopping_worker_lets_its_job_threads_finish():
    import threading
    import time

    from piaa import jobs

    thread = threading.Thread(target=time.sleep, args=(0.3,))
    jobs._threads["test-job"] = thread
    thread.start()
    try:
        gunicorn_config.worker_exit(server=None, worker=None)
        assert not thread.is_alive()
    finally:
        jobs._threads.pop("test-job", None)
