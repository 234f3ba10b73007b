from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from django.db.models.signals import post_migrate

        from placements.signals import records_version_replaced

        from . import checks  # noqa: F401 - registers the system checks
        from .exports.schedules import sync_with_beat
        from .warming import schedule

        records_version_replaced.connect(schedule, dispatch_uid="reporting.warm_dashboards")

        post_migrate.connect(sync_with_beat, sender=self, dispatch_uid="reporting.sync_export_schedules")
