"""gunicorn's settings, read from the working directory (`gunicorn careleavers.wsgi`, as the Dockerfile runs it).

Sized for the 2-core machines this runs on (BENCHMARKS.md "API"): a few processes, since Python runs one thread
at a time per process, each with threads, so a request waiting on PostgreSQL or Redis (or for its commit to
reach the disk) does not hold a core idle; keep-alive connections (gthread keeps them without tying a thread).
Environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS, GUNICORN_BIND."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 30
