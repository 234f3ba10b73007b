"""Reference data held in each process, and the version that tells every process when it changed.

Every API request used to look the same small tables up again: the organisation tree (whose records a user
sees), and the id-to-code maps a page of records is shown with. Reference data is a few hundred rows, edited
now and then in the admin or by `import_reference`, so each process keeps one *snapshot* of it, valid for one
**reference version**: a random token in the shared cache (Redis in production), replaced whenever an
Organisation, Location, Grade or Scheme is saved or deleted. A request reads the token (one cache read) and
rebuilds its process's snapshot only when it differs. See docs/decisions/0054.

- The token is replaced when the writing transaction commits (at once outside a transaction), so no process
  can rebuild from the old rows under the new token. Until then the writing thread itself builds its
  snapshots afresh without keeping them: it sees rows the others do not, and its transaction may roll back.
- A random token, not a counter, so two caches (or two tests' key prefixes) never hand out the same value
  for different data.
- A snapshot is also dropped after `REFERENCE_SNAPSHOT_SECONDS` (5 minutes), which bounds any staleness
  should some write path bypass the model signals (a raw UPDATE of reference tables).

Memberships are per user and change under a user's feet, so they are not kept across requests: `per_request`
keeps a value on an object (the request's user) for the current request only.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save

VERSION_KEY = "reference:version"
T = TypeVar("T")

_local = threading.local()  # per thread: the current request's serial, and pending reference writes
_snapshot_lock = threading.Lock()
_snapshot: Snapshot | None = None


def reference_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or ""
    return version


def _forget() -> None:
    global _snapshot
    _snapshot = None


def _committed() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _forget()
    _local.writing = False


def reference_changed(**kwargs) -> None:
    """A reference row was saved or deleted: every process's snapshot is stale once the transaction commits,
    and until then this thread's own (it sees the uncommitted change)."""
    _forget()
    _local.writing = True
    transaction.on_commit(_committed)


def forget_for_tests() -> None:
    """After a test's transaction rolled back: its reference writes never committed, and nothing of them stays."""
    _forget()
    _local.writing = False


class Snapshot:
    """The reference tables as they were at one version. Built lazily, one table at a time."""

    def __init__(self, version: str):
        self.version = version
        self.built_at = time.monotonic()

    @cached_property
    def organisation_parents(self) -> dict[int, int | None]:
        from .models import Organisation

        return dict(Organisation.objects.order_by().values_list("pk", "parent_id"))

    @cached_property
    def organisation_children(self) -> dict[int, list[int]]:
        children: dict[int, list[int]] = {}
        for pk, parent in self.organisation_parents.items():
            if parent is not None:
                children.setdefault(parent, []).append(pk)
        return children

    def descendant_ids(self, roots: Iterable[int]) -> set[int]:
        """The given organisations and everything nested under them (`Organisation.objects.descendant_ids`)."""
        found = set(roots)
        frontier = list(found)
        while frontier:
            new = [child for pk in frontier for child in self.organisation_children.get(pk, ()) if child not in found]
            found.update(new)
            frontier = new
        return found

    @cached_property
    def organisation_codes(self) -> dict[int, str]:
        from .models import Organisation

        return dict(Organisation.objects.order_by().values_list("pk", "code"))

    @cached_property
    def scheme_codes(self) -> dict[int, str]:
        from .models import Scheme

        return dict(Scheme.objects.order_by().values_list("pk", "code"))

    @cached_property
    def location_names(self) -> dict[int, str]:
        from .models import Location

        return dict(Location.objects.order_by().values_list("pk", "name"))

    @cached_property
    def grade_codes(self) -> dict[int, str]:
        from .models import Grade

        return dict(Grade.objects.order_by().values_list("pk", "code"))

    def codes(self, model) -> dict[int, str]:
        """Id to code (name for locations) of one reference model, as the API and spreadsheets name them."""
        return {
            "organisation": self.organisation_codes,
            "scheme": self.scheme_codes,
            "location": self.location_names,
            "grade": self.grade_codes,
        }[model._meta.model_name]

    @cached_property
    def _canonical_codes(self) -> dict[str, dict[str, str]]:
        return {
            "organisation": {code.upper(): code for code in self.organisation_codes.values()},
            "scheme": {code.upper(): code for code in self.scheme_codes.values()},
        }

    def scheme_code(self, code: str) -> str | None:
        """The scheme's code as stored, matched ignoring case (None: no such scheme)."""
        return self._canonical_codes["scheme"].get(code.upper())

    def organisation_code(self, code: str) -> str | None:
        """The organisation's code as stored, matched ignoring case (None: no such organisation)."""
        return self._canonical_codes["organisation"].get(code.upper())

    @cached_property
    def _organisation_ids(self) -> dict[str, int]:
        return {code: pk for pk, code in self.organisation_codes.items()}

    def parent_code(self, code: str) -> str | None:
        """The code of the organisation `code` (exact) is nested in; None for a top-level organisation."""
        parent = self.organisation_parents.get(self._organisation_ids.get(code))
        return None if parent is None else self.organisation_codes[parent]


def snapshot() -> Snapshot:
    """This process's snapshot of the reference tables for the current reference version (the version is read
    once per request: a request answers from one snapshot)."""
    if getattr(_local, "in_request", False) and not getattr(_local, "writing", False):
        kept = getattr(_local, "request_snapshot", None)
        if kept is not None and kept[0] == _local.request:
            return kept[1]
        current = _current_snapshot()
        _local.request_snapshot = (_local.request, current)
        return current
    return _current_snapshot()


def _current_snapshot() -> Snapshot:
    global _snapshot
    version = reference_version()
    if getattr(_local, "writing", False) and transaction.get_connection().in_atomic_block:
        return Snapshot(version)  # this thread's uncommitted reference writes: build, but keep nothing
    current = _snapshot
    max_age = getattr(settings, "REFERENCE_SNAPSHOT_SECONDS", 300)
    if current is None or current.version != version or time.monotonic() - current.built_at > max_age:
        with _snapshot_lock:
            current = _snapshot
            if current is None or current.version != version or time.monotonic() - current.built_at > max_age:
                current = _snapshot = Snapshot(version)
    return current


def _request_started(**kwargs) -> None:
    _local.request = getattr(_local, "request", 0) + 1
    _local.in_request = True
    if not transaction.get_connection().in_atomic_block:
        _local.writing = False  # whatever the thread wrote before was committed or rolled back


def _request_finished(**kwargs) -> None:
    _local.in_request = False


def forget_per_request_values(**kwargs) -> None:
    """Values kept for this request are stale (e.g. the user's memberships changed in it)."""
    _local.request = getattr(_local, "request", 0) + 1


def per_request(obj, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept on `obj` until the current request ends; outside a request, computed every time."""
    if not getattr(_local, "in_request", False):
        return compute()
    attribute = f"_per_request_{name}"
    kept = obj.__dict__.get(attribute)
    if kept is not None and kept[0] == _local.request:
        return kept[1]
    value = compute()
    obj.__dict__[attribute] = (_local.request, value)
    return value


def connect() -> None:
    """Called from SchemesConfig.ready()."""
    from .models import Grade, Location, Membership, Organisation, Scheme

    for model in (Organisation, Location, Grade, Scheme):
        post_save.connect(reference_changed, sender=model, dispatch_uid=f"reference-save-{model.__name__}")
        post_delete.connect(reference_changed, sender=model, dispatch_uid=f"reference-delete-{model.__name__}")
    post_save.connect(forget_per_request_values, sender=Membership, dispatch_uid="reference-membership-save")
    post_delete.connect(forget_per_request_values, sender=Membership, dispatch_uid="reference-membership-delete")
    request_started.connect(_request_started, dispatch_uid="reference-request-started")
    request_finished.connect(_request_finished, dispatch_uid="reference-request-finished")
