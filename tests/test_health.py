"""/health/ tells a load balancer and the containers' health checks whether the product works: the database,
the cache, the broker, the Celery workers (a ping), beat (its heartbeat), and each export schedule's last
successful run, overdue ones making it unhealthy."""

import datetime
import json

import pytest
import time_machine
from django.core.cache import caches

from careleavers.celery import app as celery_app
from reporting.exports import runs
from reporting.exports.models import ExportRun, ExportSchedule, Heartbeat, RequestedVia
from reporting.exports.periods import Period
from schemes.models import Organisation

NOW = datetime.datetime(2024, 10, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def workers_answer(monkeypatch):
    """A worker answers the ping and consumes the default queue (the real thing: tests/exports/test_worker.py)."""
    node = "celery@worker-1"
    monkeypatch.setattr(celery_app.control, "ping", lambda **kwargs: [{node: {"ok": "pong"}}])

    class Inspect:
        def active_queues(self):
            return {node: [{"name": celery_app.conf.task_default_queue}]}

    monkeypatch.setattr(celery_app.control, "inspect", lambda *args, **kwargs: Inspect())


@pytest.fixture
def beat_alive(db):
    Heartbeat.beat(NOW - datetime.timedelta(seconds=20))


def test_health_reports_every_part_and_is_ok_when_all_are(client, workers_answer, beat_alive):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    expected = {"database", "cache", "workers", "beat", "schedules"} | (
        {"broker"} if celery_app.conf.broker_url.startswith("redis") else set()
    )
    assert set(body["checks"]) == expected
    assert set(body["checks"].values()) == {"ok"}
    assert {entry["schedule"] for entry in body["schedules"]} >= {"CLIS FOI-ready pack", "GFiE FOI-ready pack"}


def test_health_is_503_when_the_cache_fails(client, workers_answer, beat_alive, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["default"], "set", broken)  # the test's own cache (tests/conftest.py)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error: ConnectionError"


def test_no_worker_answering_makes_the_product_unhealthy(client, beat_alive, monkeypatch):
    monkeypatch.setattr(celery_app.control, "ping", lambda **kwargs: [])
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "error: Celery workers unavailable"


def test_a_beat_that_has_stopped_makes_the_product_unhealthy(client, workers_answer, db, settings):
    settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS = 300
    Heartbeat.beat(NOW - datetime.timedelta(minutes=12))
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == "error: beat's last heartbeat was 12 minutes ago: it has stopped"
    Heartbeat.objects.all().delete()
    assert (
        client.get("/health/").json()["checks"]["beat"] == "error: beat has never written a heartbeat: is it running?"
    )


def test_each_schedule_shows_its_last_successful_run_and_an_overdue_one_is_unhealthy(
    client, workers_answer, beat_alive, settings
):
    settings.EXPORT_SCHEDULE_HOUR_UTC = 6
    settings.EXPORT_OVERDUE_AFTER_SECONDS = 3 * 60 * 60
    ons = Organisation.objects.get(code="ONS")
    with time_machine.travel(datetime.datetime(2024, 8, 15, tzinfo=datetime.UTC), tick=False):
        schedule = ExportSchedule.objects.create(
            name="ONS pack", export="foi_pack", organisation=ons, frequency="monthly"
        )
    august, _ = runs.request_run(
        "foi_pack", Period.parse("2024-08"), organisation=ons, via=RequestedVia.SCHEDULE, queue=False
    )
    runs.execute_run(august.pk, token="august")

    # September's pack was due on 1 October at 06:00 UTC: two days later it is overdue.
    body = client.get("/health/").json()
    (entry,) = [entry for entry in body["schedules"] if entry["schedule"] == "ONS pack"]
    assert entry["overdue"] is True
    assert entry["due_period"] == "2024-09"
    assert entry["last_success"]["period"] == "2024-08"
    assert body["checks"]["schedules"] == "error: overdue: ONS pack"
    assert client.get("/health/").status_code == 503

    september, _ = runs.request_run(
        "foi_pack", Period.parse("2024-09"), organisation=ons, via=RequestedVia.PAGE, queue=False
    )
    runs.execute_run(september.pk, token="september")
    body = client.get("/health/").json()
    (entry,) = [entry for entry in body["schedules"] if entry["schedule"] == "ONS pack"]
    assert entry["overdue"] is False
    assert entry["last_success"] == {
        "period": "2024-09",
        "finished_at": ExportRun.objects.get(pk=september.pk).finished_at.isoformat(),
        "run": september.pk,
    }
    assert body["checks"]["schedules"] == "ok"
    assert schedule.pk


def test_a_schedule_is_not_overdue_before_its_hour_nor_within_the_grace(client, workers_answer, beat_alive, settings):
    settings.EXPORT_SCHEDULE_HOUR_UTC = 6
    settings.EXPORT_OVERDUE_AFTER_SECONDS = 3 * 60 * 60
    ons = Organisation.objects.get(code="ONS")
    with time_machine.travel(datetime.datetime(2024, 8, 15, tzinfo=datetime.UTC), tick=False):
        ExportSchedule.objects.create(name="ONS pack", export="foi_pack", organisation=ons, frequency="monthly")
    august, _ = runs.request_run("foi_pack", Period.parse("2024-08"), organisation=ons, queue=False)
    runs.execute_run(august.pk, token="august")
    for hour, due, overdue in [
        (5, "2024-08", False),  # September's has not fired yet; August's is made
        (7, "2024-09", False),  # fired an hour ago: still within the grace
        (10, "2024-09", True),  # fired four hours ago and not made
    ]:
        with time_machine.travel(datetime.datetime(2024, 10, 1, hour, 0, tzinfo=datetime.UTC), tick=False):
            body = client.get("/health/").json()
        (entry,) = [entry for entry in body["schedules"] if entry["schedule"] == "ONS pack"]
        assert (entry["due_period"], entry["overdue"]) == (due, overdue)


def test_beat_s_container_health_check_says_whether_it_is_alive(db, settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS = 300
    with pytest.raises(CommandError, match=r"^Beat has never written a heartbeat: is it running\?$"):
        call_command("check_beat")
    Heartbeat.beat(NOW - datetime.timedelta(seconds=40))
    call_command("check_beat")
    Heartbeat.beat(NOW - datetime.timedelta(minutes=6))
    with pytest.raises(CommandError, match="6 minutes ago: it has stopped"):
        call_command("check_beat")


def test_health_answers_from_a_thread_that_already_runs_an_event_loop(rf, workers_answer, beat_alive, monkeypatch):
    """As after Playwright's sync API in the same test process (which also allows the ORM there). The ORM inside
    the loop uses a connection of its own, outside this test's transaction, so only the service checks (which
    run in a loop of their own) are looked at here."""
    import asyncio

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from careleavers.views import health

    async def inside_a_loop():
        return health(rf.get("/health/"))

    checks = json.loads(asyncio.run(inside_a_loop()).content)["checks"]
    assert checks["workers"] == "ok"
