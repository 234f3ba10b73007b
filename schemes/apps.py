from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "schemes"
    verbose_name = "Reference data"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import backends, reference
        from .roles import sync_role_groups

        # Without a sender: it must run after the other apps' permissions exist.
        post_migrate.connect(sync_role_groups, dispatch_uid="schemes.sync_role_groups")
        reference.connect()  # what the cache keeps of reference data goes stale when reference rows change
        backends.connect()  # and what it keeps of users' permissions and memberships when those change
