"""Everything the exports take from the rest of the product, each through exactly one function here: the FOI
pack (the publication path), protected counts for the progress report (count, protect, audit), and the
records a person may see (the access rule). An export never counts, protects or filters records itself.
"""

from __future__ import annotations

from django.db.models import QuerySet

from placements.models import Placement

from ..breakdowns import Scope, count_tables
from ..disclosure import ProtectedTable, Rule, audit, protect
from ..packs import build_pack_with_details


def foi_pack_bytes(scope: Scope, reference: str) -> bytes:
    """The FOI pack's workbook, the same one the FOI pages give, protected and audited before it is built."""
    return build_pack_with_details(scope, reference=reference).content


def protected_hires_by_outcome(scopes: list[Scope]) -> list[ProtectedTable]:
    """For each scope, its hires by latest outcome (the total is the hires), disclosure-controlled and audited
    (raising DisclosureError if it cannot be published). Each scope is protected on its own."""
    rule = Rule.from_settings()
    tables = []
    for scope in scopes:
        breakdowns = count_tables(scope, [("outcome",)])
        protected = protect(breakdowns, rule)
        audit(breakdowns, protected).raise_if_failed()
        tables.append(protected[0])
    return tables


def placements_seen_by(user) -> QuerySet:
    """The placements `user` may see: the one access rule, for the records extract."""
    return Placement.objects.for_user(user)


def every_placement() -> QuerySet:
    """Every placement: only for an extract run from the command line, by an operator who can read the database
    anyway and answers for what they export."""
    return Placement.objects.all()


def sees_every_placement(user, exported_records: QuerySet) -> bool:
    """Whether `user` may see every placement listed in `exported_records` (ExportedRecord rows), by the access
    rule: one query, in which the database looks for any placement the rule leaves out."""
    return not exported_records.exclude(placement_id__in=placements_seen_by(user).values("pk")).exists()
