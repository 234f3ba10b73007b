"""Celery tasks of the records app."""

from celery import shared_task

from . import uploads


@shared_task
def remove_abandoned_uploads() -> int:
    """Delete admin uploads nobody confirmed in time, even when no one imports again to sweep them."""
    return uploads.remove_abandoned()
