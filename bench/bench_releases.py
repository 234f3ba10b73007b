"""Release register benchmark: what the joint audit of a new FOI pack costs as releases of one department
accumulate (issue 11, item 2: "the audit's cost stays bounded ... measure it with 50 earlier releases of one
department").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench flock /tmp/bench.lock python bench/bench_releases.py

(`--scenario monthly --packs 20` runs part of one series; each monthly pack's time is printed as it is made.)

Everything runs in one transaction that is rolled back at the end (the register's table too, if the database
did not have it), so the benchmark database is left as it was. Two runs of 50 releases of one department and
its unit (MOJ and HMPPS, ~90,000 placements, 21 sites, 2015-2025):

- *same data*: 50 packs and statistics answers over a mix of scopes (all schemes, CLIS, GFiE; calendar and
  financial years; ranges of years; the unit beside its parent), made one after another with no record
  changing in between;
- *monthly*: 50 packs of the department over all years, one on the first of each month (the clock moved on),
  with about 40 new hires recorded between one and the next.

For each, the time of releasing the k-th (the pack counted, sliced, audited with the k-1 before it, recorded)
and, for the last, the joint audit alone with 0, 10, 25 and 49 earlier releases read with it (the same new
pack, in the same run): the baseline is 0.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from placements.models import Candidate, Placement  # noqa: E402
from reporting.breakdowns import Scope, resolve  # noqa: E402
from reporting.models import Release  # noqa: E402
from reporting.publication import published_family, release_pack  # noqa: E402
from reporting.releases import ReleaseRead, joint_audit  # noqa: E402
from schemes.models import Grade, Location, Organisation, Scheme  # noqa: E402


def mixed_scopes(department: str, unit: str) -> list[Scope]:
    """50 scopes an FOI officer and the API might answer for one department, in a plausible order."""
    shapes = [
        {},
        {"scheme": "CLIS"},
        {"scheme": "GFiE"},
        {"year_basis": "financial"},
        {"first_year": 2016, "last_year": 2024},
        {"first_year": 2018},
        {"scheme": "CLIS", "first_year": 2019, "last_year": 2023},
        {"scheme": "GFiE", "year_basis": "financial", "first_year": 2020},
        {"first_year": 2015, "last_year": 2020},
        {"scheme": "CLIS", "year_basis": "financial", "first_year": 2016, "last_year": 2024},
    ]
    scopes = []
    for position in range(50):
        shape = shapes[position % len(shapes)]
        organisation = unit if position % 5 == 4 else department
        scopes.append(Scope(organisation=organisation, **shape))
    return scopes


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def joint_audit_seconds(scope: Scope, earlier: list[Release]) -> float:
    """The joint audit alone (reading the earlier releases, counting the atoms, the programme) for a pack."""
    scope = resolve(scope)
    family = published_family(scope.all_years())
    tables = family.tables_over(scope.first_year, scope.last_year)
    organisations = frozenset(scope.organisation_ids) if scope.organisation_id else None
    new = ReleaseRead(
        "this release", scope.scheme_id, organisations, scope.year_basis, family.counted_at, family.as_at,
        family.rule, tuple(tables),
    )  # fmt: skip
    seconds, _ = timed(lambda: joint_audit(new, [ReleaseRead.of(release) for release in earlier]))
    return seconds


def report(title: str, times: list[float], released: list) -> None:
    print(f"\n{title}\n")
    print("| release | time | earlier releases read with it | cells hidden by the joint audit |")
    print("|---:|---:|---:|---:|")
    for k in (1, 2, 5, 10, 20, 30, 40, 50):
        if k <= len(times):
            record = released[k - 1].record
            print(
                f"| {k} | {times[k - 1] * 1000:.0f} ms | {record.checked_against.count()} | "
                f"{len(record.audit['extra_hidden'])} |"
            )


def curve(scope: Scope, earlier: list[Release], runs: int) -> None:
    print("\n| joint audit of the last pack, read with | median |")
    print("|---|---:|")
    for count in (0, 10, 25, len(earlier)):
        seconds = statistics.median(joint_audit_seconds(scope, earlier[:count]) for _ in range(runs))
        print(f"| {count} earlier releases | {seconds * 1000:.0f} ms |")


def same_data(department: str, unit: str, runs: int) -> None:
    scopes = mixed_scopes(department, unit)
    times, released = [], []
    for scope in scopes:
        seconds, result = timed(lambda scope=scope: release_pack(scope))
        times.append(seconds)
        released.append(result)
    report(f"Same data: 50 releases of {department} and {unit} over mixed scopes", times, released)
    curve(scopes[-1], [result.record for result in released[:-1]], runs)


def monthly(department: str, runs: int, first: datetime.date, packs: int) -> None:
    organisation = Organisation.objects.get(code=department)
    locations = list(Location.objects.order_by("pk")[:21])
    grades = list(Grade.objects.filter(code__in=["AO", "EO", "HEO"]))
    schemes = list(Scheme.objects.filter(code__in=["CLIS", "GFiE"]))
    times, released = [], []
    for month in range(packs):
        day = datetime.date(first.year + (first.month - 1 + month) // 12, (first.month - 1 + month) % 12 + 1, 1)
        with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), tick=False):
            for number in range(40):  # hires of the month before, recorded on the day they start
                started = day - datetime.timedelta(days=1 + number % 27)
                with time_machine.travel(
                    datetime.datetime(started.year, started.month, started.day, 9, tzinfo=datetime.UTC), tick=False
                ):
                    candidate = Candidate.objects.create(
                        organisation=organisation, reference=f"BENCH-R-{month}-{number}"
                    )
                    Placement.objects.create(
                        candidate=candidate, organisation=organisation, scheme=schemes[number % 2],
                        location=locations[(month * 7 + number) % 21], grade=grades[number % 3], started_on=started,
                    )  # fmt: skip
            seconds, result = timed(lambda: release_pack(Scope(organisation=department)))
        times.append(seconds)
        released.append(result)
        print(f"pack {month + 1}: {seconds:.1f} s, {len(result.record.audit['extra_hidden'])} hidden", file=sys.stderr)
    report(f"Monthly: {packs} packs of {department}, all years, ~40 new hires a month", times, released)
    with time_machine.travel(released[-1].record.released_at, tick=False):
        curve(Scope(organisation=department), [result.record for result in released[:-1]], runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--department", default="MOJ")
    parser.add_argument("--unit", default="HMPPS")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", choices=["both", "same", "monthly"], default="both")
    parser.add_argument("--packs", type=int, default=50, help="monthly packs to make (default 50)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Point DATABASE_URL at the PostgreSQL benchmark database (see bench/populate.py).")
    with transaction.atomic():
        call_command("migrate", "reporting", verbosity=0)  # the register's table, rolled back with the rest
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM placements_placement")
            print(f"Placements in the database: {cursor.fetchone()[0]:,}")
        if args.scenario != "monthly":
            with transaction.atomic():
                same_data(args.department, args.unit, args.runs)
                transaction.set_rollback(True)
        if args.scenario != "same":
            monthly(args.department, args.runs, datetime.date(2027, 1, 1), args.packs)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
