"""What /health/ says about the scheduled exports: whether beat is alive (its heartbeat), and for each schedule
its last successful run and whether it is overdue (its latest period has fired but has no finished run)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .models import ExportRun, ExportSchedule, Heartbeat, RunStatus
from .periods import Period


def beat_problem(now: datetime.datetime | None = None) -> str | None:
    """None while beat's heartbeat is fresh, else what is wrong in words."""
    now = now or timezone.now()
    last = Heartbeat.last()
    if last is None:
        return "beat has never written a heartbeat: is it running?"
    age = (now - last).total_seconds()
    if age > settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS:
        return f"beat's last heartbeat was {age / 60:.0f} minutes ago: it has stopped"
    return None


@dataclass(frozen=True)
class ScheduleHealth:
    schedule: ExportSchedule
    last_success: ExportRun | None
    due_period: Period  # the latest period whose time to fire has come
    overdue: bool

    def as_json(self) -> dict:
        last = self.last_success
        return {
            "schedule": self.schedule.name,
            "export": self.schedule.export,
            "scope": self.schedule.describe_scope(),
            "enabled": self.schedule.enabled,
            "last_success": None
            if last is None
            else {"period": last.period, "finished_at": last.finished_at.isoformat(), "run": last.pk},
            "due_period": self.due_period.label,
            "overdue": self.overdue,
        }


def schedules_health(now: datetime.datetime | None = None) -> list[ScheduleHealth]:
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.EXPORT_OVERDUE_AFTER_SECONDS)
    done = ExportRun.objects.filter(status=RunStatus.DONE).order_by("-finished_at", "-pk")
    report = []
    for schedule in ExportSchedule.objects.select_related("organisation", "scheme"):
        due = schedule.last_complete_period(now)
        if due.fires_at() > now:  # the period has ended but its hour to fire has not come yet
            due = due.previous()
        scope_runs = done.filter(export=schedule.export, organisation=schedule.organisation, scheme=schedule.scheme)
        made = scope_runs.filter(period=due.label).exists()
        overdue = (
            schedule.enabled and not made and schedule.created_at < due.fires_at() and now - due.fires_at() > grace
        )
        report.append(ScheduleHealth(schedule, scope_runs.first(), due, overdue))
    return report
