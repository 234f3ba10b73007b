"""`make run`'s embedded setup really fires schedules: SQLite and the file-system broker under var/, with the
worker and beat started as the Makefile starts them, and nothing else (no Redis, no database server).

The seeded CLIS FOI pack's schedule is set as if beat had been stopped over the first of the month, so its
missed firing is due as soon as beat starts (at this hour: beat's database scheduler only loads crontabs whose
hour is near the current one)."""

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.celery


def test_make_run_s_worker_and_beat_fire_a_schedule_on_the_embedded_broker(tmp_path):
    var = tmp_path / "var"
    for folder in ("broker/processed", "cache", "media"):  # as `make run` makes them
        (var / folder).mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DEBUG="true",
        VAR_DIR=str(var),
        EXPORT_SCHEDULE_HOUR_UTC=str(datetime.datetime.now(datetime.UTC).hour),
        BEAT_HEARTBEAT_SECONDS="2",
    )

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("migrate", "--no-input", "--verbosity", "0")
    manage(
        "shell",
        "-c",
        "import datetime; from django.utils import timezone; "
        "from django_celery_beat.models import PeriodicTask, PeriodicTasks; "
        "from reporting.models import ExportSchedule; "
        "schedule = ExportSchedule.objects.get(name='CLIS FOI-ready pack'); "
        "PeriodicTask.objects.filter(pk=schedule.periodic_task_id)"
        ".update(last_run_at=timezone.now() - datetime.timedelta(days=40)); "
        "PeriodicTasks.update_changed()",
    )
    started = []
    for role, options in (("worker", ["--concurrency=2"]), ("beat", [])):
        log = open(tmp_path / f"{role}.log", "w")  # noqa: SIM115 - kept open for the process's life
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "careleavers", role, "--loglevel=info", *options],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        database = sqlite3.connect(var / "careleavers.sqlite3", timeout=30)
        deadline = time.monotonic() + 180
        row = None
        while time.monotonic() < deadline and not row:
            row = database.execute(
                "SELECT period, file, requested_via FROM reporting_exportrun WHERE status = 'done'"
            ).fetchone()
            time.sleep(1)
        logs = "\n".join((tmp_path / f"{role}.log").read_text()[-3000:] for role in ("worker", "beat"))
        assert row, f"no export was made:\n{logs}"
        period, file, via = row
        assert via == "schedule"
        assert (var / "exports" / file).is_file()
        # /health/ works on the embedded broker too: the workers answer the ping through its folders.
        health = manage(
            "shell",
            "-c",
            "from django.test import Client; print(Client(HTTP_HOST='localhost').get('/health/').content.decode())",
        )
        checks = json.loads(health.strip().splitlines()[-1])["checks"]
        assert checks["workers"] == "ok", logs
        assert checks["beat"] == "ok", logs
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
