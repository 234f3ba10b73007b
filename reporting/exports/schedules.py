"""Keeping beat's periodic tasks in step with the export schedules after every migrate: each schedule's task
(for schedules seeded by a migration, and to follow a changed EXPORT_SCHEDULE_HOUR_UTC), and the exports'
maintenance every quarter of an hour."""

from __future__ import annotations

from django_celery_beat.models import IntervalSchedule, PeriodicTask

MAINTENANCE_TASK = "reporting.exports_maintenance"
MAINTENANCE_NAME = "Exports: queue lost runs again, remove expired files"


def sync_with_beat(using="default", **kwargs) -> None:
    from .models import ExportSchedule

    every_15_minutes, _ = IntervalSchedule.objects.using(using).get_or_create(every=15, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.using(using).update_or_create(
        name=MAINTENANCE_NAME, defaults={"task": MAINTENANCE_TASK, "interval": every_15_minutes, "crontab": None}
    )
    for schedule in ExportSchedule.objects.using(using).select_related("periodic_task"):
        schedule.sync_periodic_task()
