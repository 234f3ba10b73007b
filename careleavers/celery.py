"""The Celery app: worker and beat share Django's settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")

app = Celery("careleavers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
