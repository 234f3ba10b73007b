"""Django's model permissions, read in one short query instead of two.

`ModelBackend` reads a user's own permissions and their groups' permissions with two queries, on the first
permission check of each request, and every records request of the API checks permissions. This backend reads
both with one statement, written out rather than built by the ORM (an OR of two subqueries cost more to
compile than to run); what it answers is the same (`get_all_permissions`, cached on the user object for the
request, as Django does). The API's token authentication goes further and reads the permissions and the
memberships as columns of the statement that reads the user (`access_columns_sql`, `keep_access`)."""

import json

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from .models import Membership


def _permission_ids_sql(connection, user_id: str) -> str:
    """The ids of the permissions a user holds, directly or through a group. `user_id` is SQL naming the user:
    a placeholder, or a column of an enclosing statement."""
    quote = connection.ops.quote_name
    User = get_user_model()
    user_permissions = User.user_permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    return (
        f"SELECT {quote('permission_id')} FROM {quote(user_permissions)} WHERE {quote('user_id')} = {user_id} "
        f"UNION SELECT gp.{quote('permission_id')} FROM {quote(group_permissions)} gp "
        f"JOIN {quote(user_groups)} ug ON ug.{quote('group_id')} = gp.{quote('group_id')} "
        f"WHERE ug.{quote('user_id')} = {user_id}"
    )


def _permissions_from(connection) -> str:
    quote = connection.ops.quote_name
    return (
        f"FROM {quote(Permission._meta.db_table)} p "
        f"JOIN {quote(ContentType._meta.db_table)} ct ON ct.{quote('id')} = p.{quote('content_type_id')} "
    )


def _permissions_sql(connection) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT ct.{quote('app_label')}, p.{quote('codename')} {_permissions_from(connection)}"
        f"WHERE p.{quote('id')} IN ({_permission_ids_sql(connection, '%s')})"
    )


def access_columns_sql(connection, user_id: str) -> str:
    """Two columns for a statement that reads a user (PostgreSQL or SQLite), so that the request's permission
    checks and record scope ask no query of their own: `access_permissions`, the user's permission names, and
    `access_memberships`, their (organisation id, role) pairs, each a JSON array. `keep_access` keeps them.

    The API's token authentication reads them with the token's user (careleavers.api_common): three round
    trips and two ORM-built queries fewer on every API request."""
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    array_of, pair = ("json_group_array", "json_array") if sqlite else ("json_agg", "json_build_array")
    permissions = (
        f"(SELECT {array_of}(ct.{quote('app_label')} || '.' || p.{quote('codename')}) {_permissions_from(connection)}"
        f"WHERE p.{quote('id')} IN ({_permission_ids_sql(connection, user_id)}))"
    )
    memberships = (
        f"(SELECT {array_of}({pair}(m.{quote('organisation_id')}, m.{quote('role')})) "
        f"FROM {quote(Membership._meta.db_table)} m WHERE m.{quote('user_id')} = {user_id})"
    )
    return f"{permissions} AS access_permissions, {memberships} AS access_memberships"


def keep_access(user, permissions, memberships) -> None:
    """Keep what `access_columns_sql` read on `user` for the current request, as the first permission check
    and the first membership read would have."""

    def decoded(value) -> list:
        return json.loads(value) if isinstance(value, str) else (value or [])  # SQLite gives text; no rows, NULL

    if not user.is_superuser:  # a superuser holds every permission, which Django's own way finds
        user._perm_cache = set(decoded(permissions))
    Membership.objects.keep_for_request(user, [(organisation, role) for organisation, role in decoded(memberships)])


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj, obj)
            connection = connections[router.db_for_read(Permission)]
            with connection.cursor() as cursor:
                cursor.execute(_permissions_sql(connection), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
        return user_obj._perm_cache
