"""Nothing lost, nothing doubled, with real Celery processes: a worker (and beat) on the Redis server at
REDIS_URL, sharing this test's PostgreSQL database, in real transactions.

Each test has its own queue, so parallel test processes never take each other's tasks. The worker that is
killed pauses between writing its temporary file and checking it (EXPORT_TEST_PAUSE_SECONDS, a setting that is
0 outside these tests), so the kill lands at the same point every time. Redis hands the killed worker's task to
the next worker after the visibility timeout, which these tests shorten (with the export time limit below it,
as reporting/checks.py requires).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from careleavers.celery import app as celery_app
from reporting.exports import runs
from reporting.exports.models import ExportRun, ExportSchedule, Heartbeat, RequestedVia, RunStatus
from reporting.exports.periods import Period
from reporting.tasks import run_export
from schemes.models import Organisation, Scheme
from schemes.services import set_up_user
from tests.exports.conftest import files_in, open_workbook
from tests.factories import PlacementFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis server at REDIS_URL (CI sets it)"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker shares the test's database, which must be a server (PostgreSQL), not SQLite in memory",
    ),
]
EXPORT_TIME_LIMIT = 8  # seconds; the hard limit is 13 s, so the visibility timeout must be longer
VISIBILITY_TIMEOUT = 15
STARTUP_SECONDS = 90  # the build machines are shared: a worker can take a while to start


@pytest.fixture
def queue():
    """A queue of this test's own, used by the test's process and by the processes it starts. Afterwards
    kombu's records of it go too (the queue's lists, one per priority, and the sets that bind it to its
    exchange), so no test leaves state in Redis for the next: the fixture checks that no key names it."""
    name = f"exports-test-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    yield name
    celery_app.conf.task_default_queue = previous
    with celery_app.connection_for_write() as broker:
        channel = broker.default_channel
        channel.client.delete(
            *{channel._q_for_pri(name, priority) for priority in channel.priority_steps},
            channel.keyprefix_queue % name,
            channel.keyprefix_binding_permanent % name,
        )
        left = list(channel.client.scan_iter(match=f"*{name}*"))
    assert left == [], f"kombu's records of the test's queue are left in Redis: {left}"


def forget_workers(node_names: list[str]) -> None:
    """Remove the bindings of stopped workers' own control queues to the broadcast exchange, which a worker
    killed with SIGKILL never removes: later pings would otherwise still be sent to them."""
    if not node_names:
        return
    with celery_app.connection_for_write() as broker:
        channel = broker.default_channel
        mailboxes = [f"{node}.{celery_app.control.mailbox.namespace}.pidbox" for node in node_names]
        exchange = f"{celery_app.control.mailbox.namespace}.pidbox"
        members = [channel.sep.join(["", "", mailbox]) for mailbox in mailboxes]
        channel.client.srem(channel.keyprefix_queue % exchange, *members)
        channel.client.srem(channel.keyprefix_binding_permanent % exchange, *members)
        channel.client.delete(
            *{channel._q_for_pri(mailbox, priority) for mailbox in mailboxes for priority in channel.priority_steps}
        )


@pytest.fixture
def processes(committed_reference_data, queue, exports_root, tmp_path):
    """Start `celery -A careleavers worker|beat` processes against this test's database and queue."""
    database = connection.settings_dict
    database_url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    started: list[subprocess.Popen] = []
    mail = tmp_path / "mail"

    def start(role: str, **extra_env) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],  # this test's own cache (tests/conftest.py)
            "EXPORTS_ROOT": str(exports_root),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EXPORT_TIME_LIMIT_SECONDS": str(EXPORT_TIME_LIMIT),
            "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT),
            "CELERY_RESTORE_INTERVAL_SECONDS": "1",
            "EMAIL_URL": f"filemail:///{mail}",
            "EXPORT_SCHEDULE_HOUR_UTC": str(settings.EXPORT_SCHEDULE_HOUR_UTC),
            "BEAT_HEARTBEAT_SECONDS": "1",
            **{key: str(value) for key, value in extra_env.items()},
        }
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "celery", "-A", "careleavers", role, "--loglevel=info"]
        if role == "worker":
            command += ["-Q", queue, "--concurrency=1", "--without-gossip", "--without-mingle", f"--hostname={name}@%h"]
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - kept open for the process's life
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.log_path = tmp_path / f"{name}.log"
        process.node_name = f"{name}@{os.uname().nodename}"
        process.role = role
        started.append(process)
        if role == "worker":
            wait_for(lambda: celery_app.control.ping([process.node_name], timeout=0.5), STARTUP_SECONDS, process)
        return process

    start.mail = mail
    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    forget_workers([process.node_name for process in started if process.role == "worker"])


def wait_for(condition, seconds: float, *watched: subprocess.Popen):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        for process in watched:
            if process.poll() is not None:
                pytest.fail(f"{process.role} exited early:\n{process.log_path.read_text()}")
        time.sleep(0.2)
    logs = "\n".join(process.log_path.read_text()[-3000:] for process in watched)
    pytest.fail(f"gave up after {seconds} s waiting for {condition.__name__}\n{logs}")


def run_status(run_id: int, *statuses):
    def reached():
        return ExportRun.objects.filter(pk=run_id, status__in=statuses).first()

    reached.__name__ = f"run {run_id} to be {' or '.join(statuses)}"
    return reached


def assert_one_good_file(run: ExportRun, root: Path) -> Path:
    (path,) = files_in(root)
    assert path == Path(runs.export_storage().path(run.file))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == run.checksum
    open_workbook(path)  # a whole workbook
    return path


@pytest.fixture
def hires(committed_reference_data):
    ons = Organisation.objects.get(code="ONS")
    return PlacementFactory.create_batch(
        12, candidate__organisation=ons, scheme=Scheme.objects.get(code="CLIS"), started_on=datetime.date(2024, 3, 4)
    )


def test_beat_fires_a_scheduled_export_a_worker_makes_it_and_the_recipient_gets_a_link(
    processes, hires, exports_root, settings
):
    # Beat's database scheduler only loads crontabs whose hour is near the current one: fire at this hour.
    settings.EXPORT_SCHEDULE_HOUR_UTC = datetime.datetime.now(datetime.UTC).hour
    foi = set_up_user("ons-foi", "foi", ["ONS"], email="foi@ons.example.gov.uk")
    schedule = ExportSchedule.objects.create(
        name="ONS FOI pack", export="foi_pack", organisation=Organisation.objects.get(code="ONS"), frequency="monthly"
    )
    schedule.recipients.add(foi)
    # As if beat had been stopped over the first of the month: the missed firing is due as soon as it starts.
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(
        last_run_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=40)
    )
    PeriodicTasks.update_changed()

    worker = processes("worker")
    beat = processes("beat")
    period = schedule.last_complete_period()

    def the_schedule_s_run():
        return ExportRun.objects.filter(schedule=schedule, status=RunStatus.DONE).first()

    run = wait_for(the_schedule_s_run, 120, worker, beat)
    assert run.period == period.label
    assert run.requested_via == RequestedVia.SCHEDULE
    assert ExportRun.objects.count() == 1
    assert_one_good_file(run, exports_root)

    def the_email():
        texts = [path.read_text() for path in processes.mail.glob("*.log")] if processes.mail.exists() else []
        return texts if texts and all("\n-----" in text for text in texts) else None  # written to its end

    (email,) = wait_for(the_email, 30, worker)
    assert f"/exports/runs/{run.pk}/download/" in email
    assert "Content-Disposition: attachment" not in email
    assert "To: foi@ons.example.gov.uk" in email

    wait_for(lambda: Heartbeat.last(), 30, beat)
    health = Client().get("/health/").json()
    assert health["checks"]["workers"] == "ok"
    assert health["checks"]["beat"] == "ok"
    (entry,) = [entry for entry in health["schedules"] if entry["schedule"] == "ONS FOI pack"]
    assert entry["last_success"]["run"] == run.pk


def test_a_worker_killed_mid_export_leaves_one_good_file_and_one_done_run(processes, hires, exports_root):
    first = processes("worker", EXPORT_TEST_PAUSE_SECONDS=EXPORT_TIME_LIMIT - 2)
    run, _ = runs.request_run("records_extract", Period.parse("2024-09"), organisation=hires[0].organisation)

    def a_temporary_file():
        return list((exports_root / "tmp").glob("*.part")) if (exports_root / "tmp").exists() else None

    wait_for(a_temporary_file, 60, first)
    os.killpg(first.pid, signal.SIGKILL)  # the whole worker, main process and pool
    first.wait(timeout=30)
    assert ExportRun.objects.get(pk=run.pk).status == RunStatus.RUNNING

    second = processes("worker")
    done = wait_for(run_status(run.pk, RunStatus.DONE, RunStatus.FAILED), VISIBILITY_TIMEOUT + 60, second)
    assert done.status == RunStatus.DONE, done.error
    assert done.attempts == 2
    assert done.rows == 12
    assert ExportRun.objects.count() == 1
    assert_one_good_file(done, exports_root)


def test_a_database_error_is_retried_with_backoff(processes, hires, exports_root):
    worker = processes("worker", EXPORT_TEST_PAUSE_SECONDS=3)
    run, _ = runs.request_run("foi_pack", Period.parse("2024-09"), scheme=Scheme.objects.get(code="CLIS"))

    def a_temporary_file():
        return list((exports_root / "tmp").glob("*.part")) if (exports_root / "tmp").exists() else None

    wait_for(a_temporary_file, 60, worker)
    with connection.cursor() as cursor:  # the database drops the worker's connection, as in a failover
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    done = wait_for(run_status(run.pk, RunStatus.DONE, RunStatus.FAILED), 90, worker)
    assert done.status == RunStatus.DONE, done.error
    assert done.attempts == 2
    assert "Retry in" in worker.log_path.read_text()
    assert_one_good_file(done, exports_root)


def test_the_same_period_asked_for_twice_at_once_and_delivered_twice_gives_one_run(processes, hires, exports_root):
    worker = processes("worker")
    clis = Scheme.objects.get(code="CLIS")
    barrier = threading.Barrier(2)
    asked = []

    def ask():
        barrier.wait()
        try:
            asked.append(runs.request_run("foi_pack", Period.parse("2024-09"), scheme=clis))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (run_id,) = {run.pk for run, _ in asked}
    run_export.delay(run_id)  # and the broker delivers the task once more
    done = wait_for(run_status(run_id, RunStatus.DONE), 60, worker)
    time.sleep(2)  # the second message has been handled too
    assert ExportRun.objects.count() == 1
    assert ExportRun.objects.get(pk=run_id).attempts == 1
    assert_one_good_file(done, exports_root)
