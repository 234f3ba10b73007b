"""The Celery app: worker and beat share Django's settings (CELERY_* names; see settings.py for why each is
set as it is), and find each app's tasks in its tasks.py (reporting/tasks.py: the scheduled exports)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")

app = Celery("careleavers")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
