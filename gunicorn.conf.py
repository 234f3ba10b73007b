"""gunicorn's settings, read from the working directory (`gunicorn careleavers.wsgi`, as the Dockerfile runs it).

Sized for the 2-core machines this runs on, by measurement (BENCHMARKS.md "API"): 20 clients keeping their
connections open, sending requests back to back.

- 3 processes x 2 threads (gthread): Python runs one thread at a time per process, so processes give the
  cores to use; a second thread lets a process work while a request waits on PostgreSQL, Redis or its commit.
  More threads per process only fought over the process's lock (3 x 4 was 10-20% slower).
- worker_connections 7: a process takes at most 7 connections, so 20 keep-alive clients spread over the
  three (7/7/6). Without a limit the first process to wake accepted 18 of 20 connections and served them
  alone: one core of Python for almost everything, and twice the latency at the 95th percentile. It is not
  a hard cap on clients: a process holding 5 (7 - 2 threads) idle keep-alive connections closes the next one
  after its answer, so a client beyond 21 gets in when one reconnects. Raise it (and WEB_CONCURRENCY) for
  more clients or cores.
- keepalive 5 s: idle keep-alive connections close, and free their place, after 5 s.
- After a worker loads the application it imports every view and freezes what is loaded so far out of the
  garbage collector's sight (`post_worker_init`).

Environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS, GUNICORN_WORKER_CONNECTIONS, GUNICORN_BIND."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "7"))
keepalive = 5


def post_worker_init(worker):
    """Import every view (the URLconf) and then `gc.freeze()` what is loaded: Django's 130,000 or so long-lived
    objects. Python's full collections walked all of them, pausing a worker for about 100 ms every thousand
    requests or so (every request it held waited); over what requests leave behind they take about 3 ms.
    Frozen objects are never collected, which costs nothing here: they live as long as the process."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and with it every view
    gc.freeze()
