"""Export schedules drive django-celery-beat's database scheduler and stay in step with it, one by one and in
bulk; beat fires in UTC and the task works the period out in London, so clock changes neither double nor skip
a run."""

import datetime
import json

import pytest
import time_machine
from django_celery_beat import schedulers
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from careleavers.beat import DatabaseScheduler
from careleavers.celery import app as celery_app
from reporting.exports.models import ExportRun, ExportSchedule, Heartbeat
from reporting.exports.schedules import MAINTENANCE_TASK
from reporting.tasks import fire_schedule
from schemes.models import Organisation, Scheme

UTC = datetime.UTC


def make_schedule(**fields):
    values = {"name": "CLIS FOI pack", "export": "foi_pack", "scheme": Scheme.objects.get(code="CLIS")}
    values["frequency"] = "monthly"
    return ExportSchedule.objects.create(**values | fields)


def test_the_standard_schedules_are_there_after_migrate(db):
    standard = {
        (schedule.export, schedule.scheme.code, schedule.frequency, schedule.organisation_id)
        for schedule in ExportSchedule.objects.select_related("scheme")
    }
    assert standard >= {
        ("foi_pack", "CLIS", "monthly", None),
        ("progress_report", "CLIS", "quarterly", None),
        ("foi_pack", "GFiE", "monthly", None),
        ("progress_report", "GFiE", "quarterly", None),
    }
    assert all(schedule.periodic_task_id for schedule in ExportSchedule.objects.all())
    assert PeriodicTask.objects.filter(task=MAINTENANCE_TASK, interval__every=15, enabled=True).exists()


def test_a_schedule_drives_one_periodic_task_in_utc(db, settings):
    settings.EXPORT_SCHEDULE_HOUR_UTC = 6
    schedule = make_schedule(frequency="quarterly")
    task = schedule.periodic_task
    assert task.task == "reporting.fire_schedule"
    assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year) == ("0", "6", "1", "1,4,7,10")
    assert str(crontab.timezone) == "UTC"

    schedule.frequency = "financial_yearly"
    schedule.enabled = False
    schedule.save()
    task.refresh_from_db()
    assert task.crontab.month_of_year == "4"
    assert task.enabled is False
    assert PeriodicTask.objects.filter(task="reporting.fire_schedule").count() == ExportSchedule.objects.count()

    schedule.delete()
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


def test_bulk_changes_reach_beat_and_move_its_change_marker(db):
    schedules = [make_schedule(name=f"Pack {n}") for n in range(3)]
    PeriodicTasks.objects.update(last_update=datetime.datetime(2020, 1, 1, tzinfo=UTC))
    ExportSchedule.objects.filter(pk__in=[schedule.pk for schedule in schedules[:2]]).update(enabled=False)
    enabled = dict(PeriodicTask.objects.filter(export_schedule__in=schedules).values_list("export_schedule", "enabled"))
    assert enabled == {schedules[0].pk: False, schedules[1].pk: False, schedules[2].pk: True}
    assert PeriodicTasks.last_change() > datetime.datetime(2024, 1, 1, tzinfo=UTC)

    PeriodicTasks.objects.update(last_update=datetime.datetime(2020, 1, 1, tzinfo=UTC))
    task_ids = [schedule.periodic_task_id for schedule in schedules]
    ExportSchedule.objects.filter(pk__in=[schedule.pk for schedule in schedules]).delete()
    assert not PeriodicTask.objects.filter(pk__in=task_ids).exists()
    assert PeriodicTasks.last_change() > datetime.datetime(2024, 1, 1, tzinfo=UTC)


def test_firing_a_schedule_asks_for_the_period_just_ended_and_a_second_firing_finds_it(db, monkeypatch):
    from reporting.exports import runs

    queued = []
    monkeypatch.setattr(runs, "_queue", queued.append)
    schedule = make_schedule(organisation=Organisation.objects.get(code="ONS"))
    with time_machine.travel(datetime.datetime(2024, 10, 1, 6, 0, tzinfo=UTC), tick=False):
        fire_schedule(schedule.pk)
        fire_schedule(schedule.pk)  # a second beat, or the message delivered twice
    (run,) = ExportRun.objects.all()
    assert (run.period, run.schedule, run.requested_via) == ("2024-09", schedule, "schedule")
    assert len(queued) == 1


def test_a_paused_schedule_fires_nothing(db):
    schedule = make_schedule(enabled=False)
    fire_schedule(schedule.pk)
    assert not ExportRun.objects.exists()


@pytest.fixture
def beat_in_the_test_transaction(monkeypatch):
    """Beat closes old database connections between ticks (a long-lived process's hygiene); here it runs inside
    the test's transaction, which must stay open."""
    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)


def run_beat(start: datetime.datetime, end: datetime.datetime, step: datetime.timedelta) -> list:
    """Beat's real scheduler (careleavers.beat.DatabaseScheduler) ticking from `start` to `end` on a pinned clock;
    what it sends is run at once, in this process. Returns (when, task name) for each task sent."""
    sent = []
    with time_machine.travel(start, tick=False) as clock:
        scheduler = DatabaseScheduler(app=celery_app, lazy=False)
        scheduler.__dict__["producer"] = None  # nothing to connect to: sending is replaced below

        def send(entry, producer=None, advance=True, **options):
            sent.append((datetime.datetime.now(UTC), entry.task))
            if entry.task == "reporting.fire_schedule":
                fire_schedule(**entry.kwargs)

        scheduler.apply_async = send
        now = start
        while now < end:
            for _ in range(10):  # everything due at this moment
                if scheduler.tick() > 0:
                    break
            now += step
            clock.move_to(now)
        scheduler._finalize.cancel()  # beat syncs at exit; this one's database is the test's, gone by then
    return sent


SPRING = (datetime.datetime(2024, 3, 30, 12, tzinfo=UTC), datetime.datetime(2024, 4, 2, tzinfo=UTC))
AUTUMN = (datetime.datetime(2024, 10, 26, 12, tzinfo=UTC), datetime.datetime(2024, 11, 2, tzinfo=UTC))


@pytest.mark.usefixtures("beat_in_the_test_transaction")
@pytest.mark.parametrize("hour", [1, 23])
@pytest.mark.parametrize(
    ("season", "expected"),
    [
        (SPRING, {("Monthly", "2024-03"), ("Financial yearly", "2023-24"), ("Quarterly", "2024-Q1")}),
        (AUTUMN, {("Monthly", "2024-10")}),
    ],
    ids=["clocks go forward", "clocks go back"],
)
def test_across_a_clock_change_each_period_runs_once(db, settings, monkeypatch, hour, season, expected):
    """The clocks go forward on 31 March 2024 at 01:00 UTC, the day before March's exports; they go back on
    27 October at 01:00 UTC. At 23:00 UTC in summer it is already the next day in London."""
    from reporting.exports import runs

    monkeypatch.setattr(runs, "_queue", lambda run: None)
    settings.EXPORT_SCHEDULE_HOUR_UTC = hour
    ExportSchedule.objects.all().delete()
    with time_machine.travel(season[0], tick=False):
        make_schedule(name="Monthly")
        make_schedule(name="Financial yearly", export="progress_report", frequency="financial_yearly")
        make_schedule(name="Quarterly", export="progress_report", frequency="quarterly")

    sent = run_beat(*season, datetime.timedelta(hours=1))

    fired = [when for when, task in sent if task == "reporting.fire_schedule"]
    assert len(fired) == len(expected)  # no schedule fired twice, none skipped
    assert all((when.day, when.hour, when.minute) == (1, hour, 0) for when in fired)
    assert {(run.schedule.name, run.period) for run in ExportRun.objects.select_related("schedule")} == expected


@pytest.mark.usefixtures("beat_in_the_test_transaction")
def test_beat_writes_a_heartbeat_as_it_ticks(db, settings):
    settings.BEAT_HEARTBEAT_SECONDS = 0
    moment = datetime.datetime(2024, 10, 1, 6, 0, tzinfo=UTC)
    run_beat(moment, moment + datetime.timedelta(minutes=1), datetime.timedelta(seconds=30))
    assert Heartbeat.last() == moment + datetime.timedelta(seconds=30)
