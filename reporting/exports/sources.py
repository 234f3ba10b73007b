"""Everything the exports take from the rest of the product, each through exactly one function here: the FOI
pack and the progress report's counts (the publication path, each released as an export in the register after
the joint audit), and the records a person may see (the access rule). An export never counts, protects or
filters records itself. The records extract is personal data for one organisation, not statistics: it is no
release; its openings are written to the read audit (downloads.py).
"""

from __future__ import annotations

from django.db.models import QuerySet

from placements.models import Placement

from ..breakdowns import Scope
from ..disclosure import TOTAL
from ..models import ReleaseKind
from ..packs import Pack, build_pack_with_details
from ..publication import Released, Slice, release_tables


def foi_pack(scope: Scope, *, by=None) -> Pack:
    """The FOI pack's workbook, the same one the FOI pages give, released as an export: audited together with
    every earlier release of the same hires (packs, answers, earlier exports) and recorded in the register."""
    return build_pack_with_details(scope, by=by, kind=ReleaseKind.EXPORT)


def released_hires_by_outcome(scopes: list[Scope], *, by=None) -> list[tuple[Slice, Released]]:
    """For each one-year scope, its hires by latest outcome as released: the year's row of the scope's
    all-years family's outcome table (so the report shows nothing the FOI pack and the statistics API of the
    same scope do not, decision 0050), released as an export through the joint audit, which may hide more of
    it. Each scope is one release in the register."""
    answers = []
    for scope in scopes:
        released = release_tables(ReleaseKind.EXPORT, scope, [("year", "outcome")], by=by)
        (table,) = released.tables
        (year,) = table.categories["year"]

        def shown(outcome, table=table, year=year):
            # The year's row and the total row over the one year count the same hires: either may be shown.
            values = (table.value((year, outcome)), table.value((TOTAL, outcome)))
            return next((value for value in values if value is not None), None)

        cells = tuple(((outcome,), shown(outcome)) for outcome in table.categories["outcome"])
        answers.append((Slice(("outcome",), cells, shown(TOTAL)), released))
    return answers


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
