"""System checks for the scheduled exports' configuration, run by `manage.py check`, `runserver` and `migrate`
(which refuse to go on when one fails)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def visibility_timeout_outlasts_the_longest_export(app_configs, **kwargs):
    """With Redis, a task not acknowledged within the visibility timeout is handed to a second worker: if an
    export could run longer than that, it would run twice at once."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if visibility is not None and visibility <= settings.CELERY_TASK_TIME_LIMIT:
        return [
            checks.Error(
                f"CELERY_VISIBILITY_TIMEOUT_SECONDS ({visibility}) must be longer than the longest an export may run "
                f"({settings.CELERY_TASK_TIME_LIMIT} s, from EXPORT_TIME_LIMIT_SECONDS), or a slow export would be "
                "handed to a second worker while the first still runs.",
                id="reporting.E001",
            )
        ]
    return []
