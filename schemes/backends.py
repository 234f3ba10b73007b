"""Django's permission backend, with each user's permissions and memberships kept until any of them changes.

Django's ModelBackend reads a user's permissions with two queries on the first check of each request, and the record
scope reads their memberships with a third: together the largest part of a records page's cost after the page itself
(BENCHMARKS.md "API", fifth session). Both are kept in one entry of the shared cache (`schemes.models.held_access`)
under the *access version* (`schemes.models.ACCESS_VERSION`; careleavers/versioned_cache.py says why that keeps them
true), which is replaced at once and when the transaction commits whenever anything they are read from changes: a
membership, a user's groups or own permissions, a group's permissions, a group or a permission itself. So a revoked
role or permission applies from the very next request. A change made by raw SQL, bypassing the model signals,
applies within ACCESS_SECONDS. Whether the user is active is read with the user, on every request.
"""

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import ACCESS_VERSION, Membership, held_access


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend: the same answers, each user's permission names read from the cache."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        permissions, _ = held_access(user_obj)
        return permissions


def access_changed(action=None, **kwargs) -> None:
    if action is None or action.startswith("post_"):  # m2m_changed: once, after the change
        ACCESS_VERSION.replace()


def connect() -> None:
    """Called from SchemesConfig.ready()."""
    User = get_user_model()
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(access_changed, sender=through, dispatch_uid=f"access-m2m-{through.__name__}")
    for model in (Membership, Group, Permission):
        post_save.connect(access_changed, sender=model, dispatch_uid=f"access-save-{model.__name__}")
        post_delete.connect(access_changed, sender=model, dispatch_uid=f"access-delete-{model.__name__}")
