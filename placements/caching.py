"""The records version, and the counts of records lists cached under it.

Every figure derived from records and kept in the shared cache (a list's count here, the statistics in
reporting) is keyed by a *records version*: a number in the cache that any change to a record, or to the
reference data records are filtered and grouped by, replaces. Old entries are never read again and simply
expire. The bump is done at once and again when the transaction commits, so a request that read the old data
while the change was being written cannot leave an answer computed from it under the new version
(docs/decisions/0052, 0055).

It lives here, beside the records, so that placements' own lists can use it; reporting builds on it.
"""

from __future__ import annotations

import hashlib
import threading

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import request_started
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from schemes.models import Grade, Location, Organisation, Scheme

from .models import Candidate, Outcome, Placement
from .signals import records_changed

_local = threading.local()
VERSION_KEY = "records:version"
COUNT_SECONDS = 3600  # a count is kept at most an hour; a change of records makes it unreachable at once


def records_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there yet (or evicted): any new value makes every old key unreachable
        cache.set(VERSION_KEY, 2, timeout=None)


def bump_records_version(**kwargs) -> None:
    """Make every cached figure stale: now, and once more when the current transaction commits.

    Until then, this thread's transaction sees rows nobody else does and may yet roll back, so it neither
    reads nor keeps cached figures (`writes_pending`)."""
    _bump()
    if transaction.get_connection().in_atomic_block:
        _local.writes_pending = True
    transaction.on_commit(_committed)


def _committed() -> None:
    _local.writes_pending = False
    _bump()


def _request_started(**kwargs) -> None:
    _local.writes_pending = False  # whatever the thread wrote before was committed or rolled back


def writes_pending() -> bool:
    """Whether this thread's open transaction has changed records: figures it computes are its own."""
    return getattr(_local, "writes_pending", False) and transaction.get_connection().in_atomic_block


def versioned_key(key: str) -> str:
    """`key` under the current records version and today's date (a placement starting today changes a
    pipeline stage or a hire count without any record changing)."""
    return f"records:v{records_version()}:{timezone.localdate():%Y%m%d}:{key}"


def cached_count(queryset: models.QuerySet, sql_with_params: tuple[str, tuple] | None = None) -> int:
    """`queryset.count()`, kept in the cache until the records change.

    The key is the query's own SQL and parameters, so whatever decides the rows (the user's scope, the
    filters, the organisation tree they expand to) is part of it, and a query that differs in any of these
    is counted afresh. A caller that has compiled the query already (as any SELECT of the same rows) may pass
    that SQL instead. Counting a large organisation's records is most of a list page's database time
    (45,000 index entries for 2 ms, on every page); the rows of the page are still read each time."""
    if writes_pending():
        return queryset.count()
    try:
        sql, params = sql_with_params or queryset.query.sql_with_params()
    except EmptyResultSet:  # the filter matches nothing whatever the rows (a user of no organisation)
        return 0
    digest = hashlib.sha256(repr((queryset.db, sql, params)).encode()).hexdigest()
    key = versioned_key(f"count:{digest}")
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, timeout=COUNT_SECONDS)
    return count


def connect() -> None:
    """Listen for every kind of change that alters which records a query finds or how they are grouped
    (called from PlacementsConfig.ready). A change of memberships needs no bump: the organisations a user
    may see are part of each count's SQL."""
    for model in (Candidate, Placement, Outcome, Location, Grade, Organisation, Scheme):
        post_save.connect(bump_records_version, sender=model, dispatch_uid=f"records-bump-save-{model.__name__}")
        post_delete.connect(bump_records_version, sender=model, dispatch_uid=f"records-bump-delete-{model.__name__}")
    records_changed.connect(bump_records_version, dispatch_uid="records-bump-records-changed")
    request_started.connect(_request_started, dispatch_uid="records-request-started")
