"""Reporting benchmark: each breakdown query against the same GROUP BY written by hand, in the same run, and
the FOI pack for one department end to end. Targets (issue 3, item 7): breakdown within 1.1x of hand SQL; a
pack for one department under 1 second, with 1,000,000 placements.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench python bench/populate.py --placements 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench python bench/bench_reporting.py [--runs 5]

Timings are medians of interleaved runs (service, hand SQL, the service's own SQL, service...), so load from
other processes on the machine hits all sides alike. The service's time includes everything a
caller waits for (finding the scheme and organisation, the GROUP BY, naming the categories); the hand SQL is
only the GROUP BY with the organisation ids written in. Prints Markdown tables for BENCHMARKS.md.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from placements.caching import bump_records_version  # noqa: E402
from reporting.breakdowns import Breakdown, Scope, count_hires, count_outcomes, count_tables  # noqa: E402
from reporting.disclosure import Rule, audit, protect  # noqa: E402
from reporting.packs import build_pack  # noqa: E402
from reporting.publication import FAMILY_TABLES  # noqa: E402
from schemes.models import Organisation, Scheme  # noqa: E402

FINANCIAL_YEAR = "CASE WHEN EXTRACT(MONTH FROM started_on) >= 4 THEN EXTRACT(YEAR FROM started_on) " \
    "ELSE EXTRACT(YEAR FROM started_on) - 1 END"  # fmt: skip


def hand_sql(columns: str, where: str = "", year: str = "EXTRACT(YEAR FROM started_on)") -> str:
    """The GROUP BY one would write by hand for a breakdown: group the placements, count, nothing else."""
    group_by = ", ".join(str(position + 1) for position in range(columns.count(",") + 1))
    return (
        f"SELECT {columns.format(year=year)}, count(*) FROM placements_placement "
        f"WHERE started_on IS NOT NULL AND started_on <= %s {where} GROUP BY {group_by}"
    )


def run_sql(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def generated_group_by(orm) -> str:
    """The GROUP BY statement the service sends, exactly as PostgreSQL received it."""
    with CaptureQueriesContext(connection) as queries:
        orm()
    return next(query["sql"] for query in queries.captured_queries if "GROUP BY" in query["sql"])


def compare(runs: int, orm, sql: str, params: list) -> tuple[list[float], list[float], list[float]]:
    """Interleaved timings of the whole service call, the hand-written SQL, and the service's own SQL."""
    generated = generated_group_by(orm)  # also warms caches and plans
    run_sql(sql, params)
    orm_times, sql_times, generated_times = [], [], []
    for _ in range(runs):
        orm_times.append(timed(orm))
        sql_times.append(timed(lambda: run_sql(sql, params)))
        generated_times.append(timed(lambda: run_sql(generated, [])))
    return orm_times, sql_times, generated_times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def uncached_pack(scope: Scope) -> bytes:
    """The pack counted, protected, audited and released afresh: a new records version, as after any change,
    makes the cached family unreachable; the release is rolled back, so each run is the first release of its
    scope (bench/bench_releases.py measures it with earlier ones)."""
    bump_records_version()
    with transaction.atomic():
        content = build_pack(scope)
        transaction.set_rollback(True)
    return content


def pack_phases(scope: Scope) -> tuple[float, float, float, int]:
    """Seconds spent counting, protecting and auditing a pack's tables (the rest is writing the workbook)."""
    started = time.perf_counter()
    tables = count_tables(scope, [spec.dimensions for spec in FAMILY_TABLES])
    counted = time.perf_counter()
    protected = protect(tables, Rule.from_settings())
    protected_at = time.perf_counter()
    audit(tables, protected).raise_if_failed()
    audited = time.perf_counter()
    hidden = sum(len(table.hidden) for table in protected)
    return counted - started, protected_at - counted, audited - protected_at, hidden


def small_numbers_case(years: int, locations: int, grades: int) -> list[Breakdown]:
    """A pack's tables over a synthetic year x location x grade x outcome cube where a year x site cell holds
    about 3 hires: the hardest kind of pack to protect (many small cells, all linked)."""
    rng = random.Random(years * 10_000 + locations * 100 + grades)
    categories = {
        "year": tuple(str(2015 + i) for i in range(years)),
        "location": tuple(f"Site {i + 1}" for i in range(locations)),
        "grade": tuple(f"Grade {i + 1}" for i in range(grades)),
        "outcome": tuple(f"Outcome {i + 1}" for i in range(11)),
    }
    one_in = grades * 11 / 3  # so that a year x site cell holds about 3 hires
    counts = {key: int(rng.random() * one_in < 1) for key in itertools.product(*categories.values())}
    finest = Breakdown(tuple(categories), categories, counts)
    return [finest.margin(spec.dimensions) for spec in FAMILY_TABLES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--organisation", default="ONS", help="The department for the one-department cases.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Point DATABASE_URL at the PostgreSQL benchmark database (see bench/populate.py).")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM placements_placement")
        placements = cursor.fetchone()[0]
    today = timezone.localdate()
    department = Organisation.objects.get(code=args.organisation)
    units = sorted(Organisation.objects.descendant_ids([department]))
    gfie = Scheme.objects.get(code="GFiE").pk
    in_department = f"AND organisation_id IN ({', '.join(map(str, units))})"
    national = Scope()
    one_department = Scope(organisation=args.organisation)
    department_gfie = Scope(scheme="GFiE", organisation=args.organisation, year_basis="financial")
    cases = [
        ("year x location x grade, all 1M", lambda: count_hires(national, ["year", "location", "grade"]),
         hand_sql("{year}, location_id, grade_id"), [today]),
        ("year x location x grade, one department", lambda: count_hires(one_department, ["year", "location", "grade"]),
         hand_sql("{year}, location_id, grade_id", in_department), [today]),
        ("financial year x location, one department, GFiE",
         lambda: count_hires(department_gfie, ["year", "location"]),
         hand_sql("{year}, location_id", f"{in_department} AND scheme_id = {gfie}", FINANCIAL_YEAR), [today]),
        ("year x latest outcome, one department", lambda: count_outcomes(one_department, ["year", "outcome"]),
         hand_sql("{year}, latest_outcome", in_department), [today]),
        ("location x grade, all 1M", lambda: count_hires(national, ["location", "grade"]),
         hand_sql("location_id, grade_id"), [today]),
        ("a pack's five tables in one query (year x location x grade x outcome), one department",
         lambda: count_tables(one_department, [spec.dimensions for spec in FAMILY_TABLES]),
         hand_sql("{year}, location_id, grade_id, latest_outcome", in_department), [today]),
    ]  # fmt: skip
    print(f"Placements in the database: {placements:,}; medians of {args.runs} interleaved runs.\n")
    print(
        "| breakdown | hand SQL | service's GROUP BY | ratio | whole service call | ratio |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    for name, orm, sql, params in cases:
        orm_times, sql_times, generated_times = compare(args.runs, orm, sql, params)
        hand, generated, service = (statistics.median(times) for times in (sql_times, generated_times, orm_times))
        print(
            f"| {name} | {ms(hand)} | {ms(generated)} | {generated / hand:.2f} | {ms(service)} | {service / hand:.2f} |"
        )

    print("\n| FOI pack, end to end | median | counting | protection | audit | workbook |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, scope in (
        (f"{args.organisation}, all schemes and years", one_department),
        (f"{args.organisation}, GFiE, financial years", department_gfie),
    ):
        totals = [timed(lambda scope=scope: uncached_pack(scope)) for _ in range(max(3, args.runs // 2))]
        counting, protection, checking, hidden = pack_phases(scope)
        total = statistics.median(totals)
        workbook = max(total - counting - protection - checking, 0)
        print(
            f"| {name} ({hidden} cells hidden) | {total * 1000:.0f} ms | {counting * 1000:.0f} ms | "
            f"{protection * 1000:.0f} ms | {checking * 1000:.0f} ms | {workbook * 1000:.0f} ms |"
        )


def disclosure_on_small_numbers() -> None:
    print("\n| disclosure control, pack of small numbers | cells | hidden | protect | audit |")
    print("|---|---:|---:|---:|---:|")
    for shape in ((6, 2, 2), (6, 5, 3), (11, 10, 4), (11, 21, 5)):
        tables = small_numbers_case(*shape)
        started = time.perf_counter()
        protected = protect(tables, Rule())
        protected_at = time.perf_counter()
        audit(tables, protected).raise_if_failed()
        audited = time.perf_counter()
        cells = sum(len(table.cells()) for table in protected)
        hidden = sum(len(table.hidden) for table in protected)
        print(
            f"| {shape[0]} years x {shape[1]} sites x {shape[2]} grades x 11 outcomes | {cells} | {hidden} | "
            f"{ms(protected_at - started)} | {ms(audited - protected_at)} |"
        )


if __name__ == "__main__":
    with transaction.atomic():  # nothing the benchmark writes (the release register's table and rows) is kept
        call_command("migrate", "reporting", verbosity=0)
        main()
        transaction.set_rollback(True)
    disclosure_on_small_numbers()
