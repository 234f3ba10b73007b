from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from .api import caching

        caching.connect()  # cached statistics go stale whenever records or reference data change
