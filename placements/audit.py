"""Audit of reads: who opened which care leaver's record, when and how (docs/domain.md: every read is audited).

Changes are audited by django-simple-history; this module records the reads, for the admin today and for
the API and exports (`record_reads` takes a whole queryset in one INSERT)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.utils import timezone

from .models import RecordAccess


def record_read(user, record: models.Model, how: str, path: str = "") -> RecordAccess | None:
    """Record that a person read one record; anonymous requests are refused earlier and not recorded."""
    if not user or not user.is_authenticated:
        return None
    return RecordAccess.objects.create(
        user=user,
        record_type=ContentType.objects.get_for_model(record),
        record_id=record.pk,
        how=how,
        path=path[:300],
    )


def record_reads(
    user, records: Iterable[models.Model] | models.QuerySet, how: str, path: str = "", model: type | None = None
) -> int:
    """Record that a person read several records of one model (an API page, an export); returns how many.
    `records` may be anything with a `pk` when `model` says which model they are rows of.

    One INSERT for all of them; on PostgreSQL the ids go as one array parameter (`unnest`), so a page of 50
    costs no model instances and no 300-parameter statement."""
    if not user or not user.is_authenticated:
        return 0
    if isinstance(records, models.QuerySet):
        model, ids = records.model, list(records.values_list("pk", flat=True))
    else:
        records = list(records)
        if not records:
            return 0
        model, ids = model or type(records[0]), [record.pk for record in records]
    if not ids:
        return 0
    record_type = ContentType.objects.get_for_model(model)
    connection = connections[router.db_for_write(RecordAccess)]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(RecordAccess._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, at, record_type_id, record_id, how, path) "
                "SELECT %s, %s, %s, unnest(%s::bigint[]), %s, %s",
                [user.pk, timezone.now(), record_type.pk, ids, how, path[:300]],
            )
    else:
        RecordAccess.objects.bulk_create(
            RecordAccess(user=user, record_type=record_type, record_id=pk, how=how, path=path[:300]) for pk in ids
        )
    return len(ids)


def reads_of(record: models.Model) -> models.QuerySet:
    """Every recorded read of one record, newest first."""
    return RecordAccess.objects.filter(
        record_type=ContentType.objects.get_for_model(record), record_id=record.pk
    ).select_related("user")
