"""Django's model permissions, read in one short query instead of two.

`ModelBackend` reads a user's own permissions and their groups' permissions with two queries, on the first
permission check of each request, and every records request of the API checks permissions. This backend reads
both with one statement, written out rather than built by the ORM (an OR of two subqueries cost more to
compile than to run); what it answers is the same (`get_all_permissions`, cached on the user object for the
request, as Django does)."""

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


def _permissions_sql(connection) -> str:
    quote = connection.ops.quote_name
    User = get_user_model()
    user_permissions = User.user_permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    return (
        f"SELECT ct.{quote('app_label')}, p.{quote('codename')} "
        f"FROM {quote(Permission._meta.db_table)} p "
        f"JOIN {quote(ContentType._meta.db_table)} ct ON ct.{quote('id')} = p.{quote('content_type_id')} "
        f"WHERE p.{quote('id')} IN ("
        f"SELECT {quote('permission_id')} FROM {quote(user_permissions)} WHERE {quote('user_id')} = %s "
        f"UNION SELECT gp.{quote('permission_id')} FROM {quote(group_permissions)} gp "
        f"JOIN {quote(user_groups)} ug ON ug.{quote('group_id')} = gp.{quote('group_id')} "
        f"WHERE ug.{quote('user_id')} = %s)"
    )


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
