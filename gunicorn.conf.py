"""gunicorn's settings, read from the working directory (`gunicorn careleavers.wsgi`, as the Dockerfile runs it).

Sized for the 2-core machines this runs on, by measurement (BENCHMARKS.md "API"): 20 clients keeping their
connections open, sending requests back to back.

- 4 processes x 1 thread (gthread): Python runs one thread at a time per process, so processes give the
  cores to use, and while one waits on PostgreSQL, Redis or its commit the others run. Against 3 x 2 (a
  second thread per process to fill those waits) the same throughput came with a 95th percentile 10-15%
  lower and a tighter tail (p95/p50 1.3-1.4 against 1.4-1.6), over five paired runs: two threads of one
  process queue for its lock, one thread per process leaves the queueing to the OS scheduler, which is
  fairer. 5 x 1 and 6 x 1 were slower (more processes than cores and PostgreSQL can use); 3 x 4 was 10-20%
  slower still.
- worker_connections 5: a process takes at most 5 connections, so 20 keep-alive clients spread over the
  four. Without a limit the first process to wake accepted 18 of 20 connections and served them alone: one
  core of Python for almost everything, and twice the latency at the 95th percentile. It is not a hard cap
  on clients: a process holding 4 (5 - 1 thread) idle keep-alive connections closes the next one after its
  answer, so a client beyond 20 gets in when one reconnects. Raise it (and WEB_CONCURRENCY) for more clients
  or cores.
- keepalive 5 s: idle keep-alive connections close, and free their place, after 5 s.
- After a worker loads the application it imports every view and freezes what is loaded so far out of the
  garbage collector's sight (`post_worker_init`).

Environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS, GUNICORN_WORKER_CONNECTIONS, GUNICORN_BIND."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "5"))
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
