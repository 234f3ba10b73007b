from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = "Care leavers and placements"

    def ready(self):
        from . import caching

        caching.connect()  # cached counts and statistics go stale whenever records or reference data change
