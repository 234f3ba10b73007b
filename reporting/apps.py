from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401 - registers the system checks
        from .exports.schedules import sync_with_beat

        post_migrate.connect(sync_with_beat, sender=self, dispatch_uid="reporting.sync_export_schedules")
