"""The records version, and the answers of records queries kept under it (list counts, the pipeline's rows).

Every figure derived from records and kept in the shared cache (a list's count here, the statistics in
reporting) carries the *records version* in its key: a token that any change to a record, or to the reference
data records are filtered and grouped by, replaces, at once and again when its transaction commits. A value
computed inside a transaction is shared only once it commits. careleavers/versioned_cache.py says why these
rules keep every kept figure true (docs/decisions/0052, 0055, 0057).

It lives here, beside the records, so that placements' own lists can use it; reporting builds on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from careleavers.versioned_cache import Version, get_or_compute
from schemes.models import Grade, Location, Organisation, Scheme

from .models import Candidate, Contact, Outcome, Placement
from .signals import records_changed, records_version_replaced

RECORDS_VERSION = Version("records")
# Contacts say nothing any statistic counts: they have a version of their own, in the key of those answers only
# whose query reads them (the pipeline's waiting and keep-in-touch lists), so recording one leaves every other
# kept figure, and the statistics API's families, as they are.
CONTACTS_VERSION = Version("contacts")
T = TypeVar("T")
COUNT_SECONDS = 3600  # a count is kept at most an hour; a change of records makes it unreachable at once


def bump_records_version(**kwargs) -> None:
    """Make every kept figure stale: now, and once more when the current transaction commits."""
    RECORDS_VERSION.replace()
    records_version_replaced.send(sender=RECORDS_VERSION)


def bump_contacts_version(**kwargs) -> None:
    """Make the answers that read contacts stale (and have the dashboards warmed again, as for records)."""
    CONTACTS_VERSION.replace()
    records_version_replaced.send(sender=CONTACTS_VERSION)


def versioned_key(key: str) -> str:
    """`key` under the current records version and today's date (a placement starting today changes a
    pipeline stage or a hire count without any record changing)."""
    return f"records:{RECORDS_VERSION.token()}:{timezone.localdate():%Y%m%d}:{key}"


def cached_query(name: str, queryset: models.QuerySet, compute: Callable[[], T], timeout: int = COUNT_SECONDS) -> T:
    """`compute()`, an answer read from `queryset`, kept in the cache until the records change.

    The key is the query's own SQL and parameters, so whatever decides the rows (the user's scope, the
    filters, the organisation tree they expand to, a page's LIMIT and OFFSET) is part of it, and a query that
    differs in any of these is answered afresh. A query that can match nothing (a scope without any
    organisation) has no SQL to key on and is answered at once, without the database."""
    key = versioned_key(f"{name}:")  # the versions first: see careleavers/versioned_cache.py
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return compute()
    if Contact._meta.db_table in sql:  # the answer reads contacts: it is stale once one is recorded
        key += f"contacts:{CONTACTS_VERSION.token()}:"
    digest = hashlib.sha256(repr((queryset.db, sql, params)).encode()).hexdigest()
    return get_or_compute(key + digest, compute, timeout=timeout)


def cached_count(queryset: models.QuerySet) -> int:
    """`queryset.count()`, kept until the records change (`cached_query`). Counting a large organisation's
    records is most of a list page's database time (BENCHMARKS.md "API"); the rows of the page are still read
    each time."""
    # Keyed on the rows' ids alone, unordered: the same rows, so the same count, and a third of the cost of
    # compiling every column of the model in order (BENCHMARKS.md "API").
    return cached_query("count", queryset.order_by().values("pk"), queryset.count)


def connect() -> None:
    """Listen for every kind of change that alters which records a query finds or how they are grouped
    (called from PlacementsConfig.ready). A change of memberships needs no bump: the organisations a user
    may see are part of each count's SQL. A contact changes what the pipeline's waiting lists say (the last
    contact's method, or its date when recorded from the admin), even where the placement is not saved: it
    replaces the contacts version."""
    for model in (Candidate, Placement, Outcome, Location, Grade, Organisation, Scheme):
        post_save.connect(bump_records_version, sender=model, dispatch_uid=f"records-bump-save-{model.__name__}")
        post_delete.connect(bump_records_version, sender=model, dispatch_uid=f"records-bump-delete-{model.__name__}")
    post_save.connect(bump_contacts_version, sender=Contact, dispatch_uid="contacts-bump-save")
    post_delete.connect(bump_contacts_version, sender=Contact, dispatch_uid="contacts-bump-delete")
    records_changed.connect(bump_records_version, dispatch_uid="records-bump-records-changed")
