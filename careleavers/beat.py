"""Beat's scheduler: django-celery-beat's DatabaseScheduler, which also writes a heartbeat.

A worker's ping proves workers are alive, not that beat fires, so beat records that it is ticking every
BEAT_HEARTBEAT_SECONDS (reporting.Heartbeat, in the database that web and workers share); /health/ reports beat
stopped when the heartbeat is older than BEAT_HEARTBEAT_MAX_AGE_SECONDS.

Run ONE beat: two beats fire every schedule twice (django-celery-beat has no lock, by design). Each export run
is unique in the database, so a second beat started by mistake still makes no second file (README).
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django_celery_beat import schedulers

logger = logging.getLogger(__name__)


class DatabaseScheduler(schedulers.DatabaseScheduler):
    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._last_heartbeat >= settings.BEAT_HEARTBEAT_SECONDS:
            from reporting.models import Heartbeat

            try:
                Heartbeat.beat()
                self._last_heartbeat = now
            except DatabaseError:  # the database is away: the schedule cannot be read either; try next tick
                logger.warning("Beat could not write its heartbeat", exc_info=True)
        return min(interval, settings.BEAT_HEARTBEAT_SECONDS)
