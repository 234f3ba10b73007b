"""Everything the exports take from the rest of the product, each through exactly one function here: the FOI
pack (the publication path), published counts for the progress report (slices of the published family), and the
records a person may see (the access rule). An export never counts, protects or filters records itself.
"""

from __future__ import annotations

from django.db.models import QuerySet

from placements.models import Placement

from ..breakdowns import Scope
from ..packs import build_pack_with_details
from ..publication import Slice, published_family


def foi_pack_bytes(scope: Scope, reference: str) -> bytes:
    """The FOI pack's workbook, the same one the FOI pages give, protected and audited before it is built."""
    return build_pack_with_details(scope, reference=reference).content


def published_hires_by_outcome(scopes: list[Scope]) -> list[Slice]:
    """For each one-year scope, its hires by latest outcome as the publication path gives them: a slice of the
    all-years published family of the scope's scheme, organisation and year basis, so the report shows nothing
    that the FOI pack and the statistics API of the same scope do not (decision 0050)."""
    slices = []
    for scope in scopes:
        family = published_family(
            Scope(scheme=scope.scheme, organisation=scope.organisation, year_basis=scope.year_basis)
        )
        slices.append(family.slice(("outcome",), scope.first_year, scope.last_year))
    return slices


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
