"""Values kept in the shared cache (Django's, Redis when configured) under a version that writes replace.

A *version* is a random token kept in the cache under a name ("records", "reference"). Every value derived
from that data carries the token in its key, so replacing the token makes every value kept for the old data
unreachable at once; old entries are never read again and expire on their own. Three rules keep a value true
without any state in the process (docs/decisions/0057):

- A reader reads the token before the rows it computes from, so a value computed from rows as they were before
  a change is kept under a token the change has already replaced, or replaces when it commits.
- A write replaces the token at once and again when its transaction commits (`Version.replace`, a receiver of
  the model signals): its own transaction, which sees rows nobody else sees yet, finds nothing kept for them;
  and what others computed meanwhile from the rows as they were is unreachable once the change is everyone's.
- A value computed inside a transaction is shared only when that transaction commits (`share`): a transaction
  that wrote sees rows nobody else sees, and may still roll back.

A random token rather than a counter: should the token's own entry be evicted or the cache flushed, a new
token cannot name an old entry again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


class Version:
    """The version of one kind of data, as a token in the shared cache."""

    def __init__(self, name: str):
        self.name = name
        self.key = f"{name}:version"

    def token(self) -> str:
        token = cache.get(self.key)
        if token is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            token = cache.get(self.key) or ""  # whoever added first
        return token

    def replace(self, **signal_kwargs) -> None:
        """The data changed: a new token now, and another when the current transaction commits (at once outside
        one). Connected to the model signals of the data, and called by bulk writers that send none."""
        self._new_token()
        transaction.on_commit(self._new_token)

    def _new_token(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, timeout=None)


def share(key: str, value, timeout: int) -> None:
    """Keep `value` under `key` for everyone once the current transaction commits (at once outside one). A cache
    that cannot be written to loses the value, and the request that computed it is answered all the same."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.set(key, value, timeout), robust=True)
    else:
        cache.set(key, value, timeout)


def get_or_compute(key: str, compute: Callable[[], T], timeout: int) -> T:
    """The value kept under `key`, or `compute()`'s, shared as `share` says. `key` carries the version(s) the
    value derives from, read before `compute` runs."""
    value = cache.get(key)
    if value is None:
        value = compute()
        share(key, value, timeout)
    return value
