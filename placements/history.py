"""Records written in bulk together with the history rows django-simple-history would have written for them.

`create_with_history` bulk-inserts new records, `update_with_history` bulk-updates some fields of stored ones;
each then copies the rows just written into the model's historical table with one `INSERT ... SELECT` per
chunk of ids (docs/decisions/0014), marked `+` (created) or `~` (changed), with one user, date and reason.
The columns come from simple_history's own historical model (every tracked field, then its date, type, user
and reason), so the rows are the ones it writes; building them as Python objects instead (its
`bulk_create_with_history`) doubled the import's CPU time, and needs every record whole in memory.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection

BATCH_SIZE = 2000
# Ids per statement: within SQLite's 999 parameters, and few statements on PostgreSQL.
ID_CHUNK = 900
# simple_history's own columns on a historical table, after the tracked fields.
HISTORY_COLUMNS = ("history_date", "history_type", "history_user", "history_change_reason")


def chunked(items: Sequence, size: int = ID_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batched(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    """`items` a list at a time, made only as each is needed (`itertools.batched` from Python 3.12)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def create_with_history(objs: list, model, *, user, reason: str, when: datetime.datetime) -> None:
    """Bulk-insert `objs` (their primary keys are set), then write their creation history rows."""
    model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    _copy_to_history(model, [obj.pk for obj in objs], "+", user=user, reason=reason, when=when)


def update_with_history(objs: list, model, fields: list[str], *, user, reason: str, when: datetime.datetime) -> None:
    """Bulk-update `fields` of stored records, then write their change history rows.

    `objs` need hold only their primary key and the fields named: each history row is copied from the record
    as the database holds it after the update, every tracked field included."""
    model.objects.bulk_update(objs, fields, batch_size=BATCH_SIZE)
    _copy_to_history(model, [obj.pk for obj in objs], "~", user=user, reason=reason, when=when)


def _copy_to_history(model, ids: list[int], history_type: str, *, user, reason: str, when) -> None:
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = [quote(field.column) for field in history.tracked_fields]
    own = [quote(history._meta.get_field(name).column) for name in HISTORY_COLUMNS]
    user_id = user.pk if user is not None else None
    with connection.cursor() as cursor:
        for chunk in chunked(ids):
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(tracked + own)}) "
                f"SELECT {', '.join(tracked)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))})",
                [when, history_type, user_id, reason[:100], *chunk],
            )
