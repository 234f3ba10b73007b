"""Telling a schedule's recipients that its file is ready: an email with a link to the download page (never
the file itself), sent through Django's email settings (EMAIL_URL), to those who may open the file."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .downloads import may_open
from .models import ExportRun, RunStatus


def download_link(run: ExportRun) -> str:
    return settings.SITE_URL + reverse("exports:download", args=[run.pk])


def ready_email(run: ExportRun, recipient) -> EmailMessage:
    period = run.period_object.describe()
    kept_until = timezone.localtime(run.finished_at) + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    body = "\n\n".join(
        [
            f"Hello {recipient.get_full_name() or recipient.get_username()},",
            f"The {run.get_export_display().lower()} for {run.describe_scope()}, {period}, is ready.",
            f"Download it here (you will be asked to sign in): {download_link(run)}",
            f"The file is kept until {kept_until:%-d %B %Y}.",
            f"You receive this because you are a recipient of the schedule '{run.schedule.name}'. "
            "Ask the person who runs the schedule to remove you.",
        ]
    )
    return EmailMessage(
        subject=f"{run.schedule.name}: {period} is ready",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )


def send_ready_emails(run_id: int) -> int:
    """Email each recipient once (the run's `notified_at` is claimed before sending and released if sending
    fails, so a retry sends again); returns how many were sent."""
    run = ExportRun.objects.select_related("schedule", "organisation", "scheme").filter(pk=run_id).first()
    if run is None or run.schedule is None or run.status != RunStatus.DONE:
        return 0
    if not ExportRun.objects.filter(pk=run.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
        return 0  # already sent (a redelivered message)
    recipients = [
        user for user in run.schedule.recipients.filter(is_active=True).exclude(email="") if may_open(user, run)
    ]
    try:
        with get_connection() as connection:
            connection.send_messages([ready_email(run, user) for user in recipients])
    except Exception:
        with transaction.atomic():
            ExportRun.objects.filter(pk=run.pk).update(notified_at=None)
        raise
    return len(recipients)
