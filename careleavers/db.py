"""Server-side prepared statements for the few statements every API request runs, on PostgreSQL.

PostgreSQL plans a statement each time it is sent as text. For the token's user (with their permissions and
memberships) that planning was 0.7 of its 0.9 ms of database CPU, and for a page's rows 0.3 of 0.7 ms, on
every request (BENCHMARKS.md "API"); once prepared on a connection, a statement is planned once and then run
from its kept plan. Only statements whose SQL is fixed for the life of the process are prepared, so each
connection holds a handful of them.

A prepared statement belongs to one database session: it outlives a rolled-back transaction, and is gone
when the connection closes (Django's `connection_created` starts a new connection's list empty). A
transaction-pooling proxy between Django and PostgreSQL (PgBouncer in transaction mode) would hand a session
statements it never saw: the product connects straight to PostgreSQL (docker-compose.yml). See
docs/decisions/0056."""

from __future__ import annotations

from django.db.backends.signals import connection_created


def prepared(connection, name: str, sql: str, parameters: int) -> str:
    """The SQL to send instead of `sql` (with `parameters` `%s` placeholders, as Django's cursors and raw
    querysets take it): on PostgreSQL `EXECUTE name(%s, ...)` of the statement prepared once on this connection;
    on other databases `sql` itself. Give the same `sql` for a `name` for the life of the process."""
    if connection.vendor != "postgresql" or connection.settings_dict["CONN_MAX_AGE"] == 0:
        return sql  # a connection closed after each request would prepare a statement to run it once
    quoted = connection.ops.quote_name(name)
    connection.ensure_connection()
    kept = connection.__dict__.setdefault("prepared_statements", set())
    if name not in kept:
        numbered = sql % tuple(f"${number}" for number in range(1, parameters + 1))  # %s -> $1, $2, ...
        with connection.cursor() as cursor:
            cursor.execute(f"PREPARE {quoted} AS {numbered}")
        kept.add(name)
    return f"EXECUTE {quoted}({', '.join(['%s'] * parameters)})"


def _forget_prepared(sender, connection, **kwargs) -> None:
    connection.prepared_statements = set()


connection_created.connect(_forget_prepared, dispatch_uid="careleavers-forget-prepared-statements")
