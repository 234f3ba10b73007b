"""The reporting app's Celery tasks (found by careleavers/celery.py's autodiscovery): scheduled exports, and
the dashboards' figures worked out again after records change (`warm_dashboards`, reporting/warming.py).

Beat fires `fire_schedule` for each export schedule (and `exports_maintenance` every quarter of an hour);
`fire_schedule` asks for the period's run, whose `run_export` task is queued once the run is committed.
Every task may arrive twice (Redis delivers at least once): each one checks the database before it acts.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from . import warming
from .exports import notify, runs
from .exports.models import ExportRun, ExportSchedule, RequestedVia

logger = logging.getLogger(__name__)

# A lost or restarting database is worth waiting for: retried with exponential backoff (with jitter, so
# workers do not all come back at once), up to about ten minutes in all.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY = {"retry_backoff": 2, "retry_backoff_max": 300, "retry_jitter": True, "max_retries": 6}


class ExportTask(DjangoTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """The task gave up (an unexpected error, or the database still failing after the retries): the run
        says so in words; the details stay in the worker's log."""
        run = ExportRun.objects.filter(pk=args[0]).first() if args else None
        if run is not None:
            reason = (
                "The database could not be reached, even after several tries. Ask for the export again later."
                if isinstance(exc, DATABASE_ERRORS)
                else runs.failure_in_words(exc)
            )
            runs.fail(run, task_id, reason)


@shared_task(
    bind=True,
    base=ExportTask,
    name="reporting.run_export",
    autoretry_for=DATABASE_ERRORS,
    **RETRY,
)
def run_export(self, run_id: int) -> None:
    outcome = runs.execute_run(run_id, token=self.request.id)
    if outcome.wait is not None:  # another message holds the run: look again when its lease ends
        run_export.apply_async((run_id,), countdown=outcome.wait)


@shared_task(name="reporting.fire_schedule", autoretry_for=DATABASE_ERRORS, **RETRY)
def fire_schedule(schedule_id: int) -> None:
    """Ask for the run of the period that has just ended (on the London calendar). A second firing for the same
    period (two beats, a redelivered message) finds that run and does nothing."""
    schedule = ExportSchedule.objects.filter(pk=schedule_id, enabled=True).first()
    if schedule is None:
        return
    runs.request_run(
        schedule.export,
        schedule.last_complete_period(),
        organisation=schedule.organisation,
        scheme=schedule.scheme,
        schedule=schedule,
        via=RequestedVia.SCHEDULE,
    )


@shared_task(
    name="reporting.notify_recipients",
    autoretry_for=(*DATABASE_ERRORS, smtplib.SMTPException, OSError),
    **RETRY,
)
def notify_recipients(run_id: int) -> None:
    notify.send_ready_emails(run_id)


@shared_task(name="reporting.exports_maintenance", autoretry_for=DATABASE_ERRORS, **RETRY)
def exports_maintenance() -> None:
    """Queue again runs whose task was lost, and remove files past their retention period."""
    requeued = runs.requeue_stalled_runs()
    removed = runs.remove_expired_files()
    if requeued or removed:
        logger.info("Exports maintenance: %s stalled runs queued again, %s expired files removed", requeued, removed)


@shared_task(name="reporting.warm_dashboards", autoretry_for=DATABASE_ERRORS, **RETRY)
def warm_dashboards() -> None:
    """Work out the dashboards' figures for the records as they now stand. The flag goes first, so a change
    made while this works schedules another warming (a second delivery of this message warms again: harmless)."""
    if not settings.DASHBOARD_WARMING:  # switched off: beat's hourly run does nothing either
        return
    cache.delete(warming.SCHEDULED)
    warmed = warming.warm()
    logger.info("Dashboards warmed for %s viewers", warmed)
