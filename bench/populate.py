"""Fill a PostgreSQL database with N synthetic placements for benchmarks and load tests, in seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench python bench/populate.py --placements 1000000

Rows are generated inside PostgreSQL (INSERT ... SELECT over generate_series), deterministically: the same N
always gives the same data. Benchmark rows are recognised by their candidate reference (`BENCH-<n>`); running
again with the same N changes nothing, with another N replaces them. Run `manage.py migrate` first (the
reference data the migrations seed - departments, sites, grades, CLIS and GFiE - is what the rows point at).

Shape: one candidate per placement, spread evenly over the seeded departments and agencies (about 45,000 per
department at 1M), 21 sites, mostly AO and EO, two thirds CLIS and one third GFiE, start dates from 2015 to
2025, one in twenty an offer not yet started, and most with an outcome recorded (also in the outcome history).
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

PREFIX = "BENCH-"
OUTCOME_CODES = [
    "in_post", "permanent", "permanent", "permanent", "extended", "transferred", "completed_eet",
    "completed_not_eet", "probation_failed", "left_early", "unknown", "",
]  # fmt: skip
GRADE_CODES = ["AO", "EO", "AO", "EO", "AO", "EO", "HEO", "AA"]


def bench_placements() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM placements_placement p JOIN placements_candidate c ON c.id = p.candidate_id "
            "WHERE c.reference LIKE %s",
            [PREFIX + "%"],
        )
        return cursor.fetchone()[0]


def ids(cursor, sql: str, params=None) -> list[int]:
    cursor.execute(sql, params or [])
    return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def populate(placements: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM placements_outcome WHERE placement_id IN (SELECT p.id FROM placements_placement p "
            "JOIN placements_candidate c ON c.id = p.candidate_id WHERE c.reference LIKE %s)",
            [PREFIX + "%"],
        )
        cursor.execute(
            "DELETE FROM placements_placement WHERE candidate_id IN "
            "(SELECT id FROM placements_candidate WHERE reference LIKE %s)",
            [PREFIX + "%"],
        )
        cursor.execute("DELETE FROM placements_candidate WHERE reference LIKE %s", [PREFIX + "%"])
        organisations = ids(cursor, "SELECT id FROM schemes_organisation ORDER BY code")
        locations = ids(cursor, "SELECT id FROM schemes_location ORDER BY name")
        cursor.execute("SELECT code, id FROM schemes_grade WHERE code = ANY(%s)", [list(set(GRADE_CODES))])
        grade_ids = dict(cursor.fetchall())
        grades = [grade_ids[code] for code in GRADE_CODES]
        cursor.execute("SELECT code, id FROM schemes_scheme WHERE code IN ('CLIS', 'GFiE')")
        schemes = dict(cursor.fetchall())
        if not organisations or not locations or len(schemes) < 2:
            raise SystemExit("Reference data missing: run `manage.py migrate` on this database first.")
        # g is the row number; multiplicative hashing spreads each attribute independently and repeatably.
        cursor.execute(
            """
            WITH new_candidates AS (
                INSERT INTO placements_candidate (
                    reference, given_name, family_name, email, phone, legal_status, responsible_local_authority,
                    personal_adviser_contact, needs_esol, unaccompanied_asylum_seeking_child,
                    right_to_work_restrictions, skills, aspirations, strengths, created_at, organisation_id)
                SELECT %(prefix)s || g, '', '', '', '', '', '', '', false, false, '', '', '', '', now(),
                       (%(organisations)s::bigint[])[1 + (g * 7919) %% cardinality(%(organisations)s::bigint[])]
                FROM generate_series(1::bigint, %(n)s::bigint) AS g
                RETURNING id, organisation_id, reference
            ), rows AS (
                SELECT id AS candidate_id, organisation_id, substr(reference, %(skip)s)::bigint AS g
                FROM new_candidates
            ), dated AS (
                SELECT *, DATE '2015-01-01' + ((g * 2654435761) %% 4018)::int AS start,
                       (%(outcomes)s::text[])[1 + (g * 104729) %% cardinality(%(outcomes)s::text[])] AS outcome
                FROM rows
            )
            INSERT INTO placements_placement (
                business_unit, offered_on, started_on, latest_outcome, latest_outcome_on, created_at, updated_at,
                candidate_id, grade_id, location_id, organisation_id, scheme_id)
            SELECT '', start - 60,
                   CASE WHEN g %% 20 = 0 THEN NULL ELSE start END,
                   CASE WHEN g %% 20 = 0 THEN '' ELSE outcome END,
                   CASE WHEN g %% 20 = 0 OR outcome = '' THEN NULL ELSE start + 200 END,
                   now(), now(), candidate_id,
                   (%(grades)s::bigint[])[1 + (g * 31) %% cardinality(%(grades)s::bigint[])],
                   (%(locations)s::bigint[])[1 + (g * 613) %% cardinality(%(locations)s::bigint[])],
                   organisation_id,
                   CASE WHEN g %% 3 = 0 THEN %(gfie)s ELSE %(clis)s END
            FROM dated
            """,
            {
                "prefix": PREFIX,
                "skip": len(PREFIX) + 1,
                "n": placements,
                "organisations": organisations,
                "outcomes": OUTCOME_CODES,
                "grades": grades,
                "locations": locations,
                "gfie": schemes["GFiE"],
                "clis": schemes["CLIS"],
            },
        )
        cursor.execute(
            'INSERT INTO placements_outcome (code, "on", activity_code, notes, placement_id) '
            "SELECT p.latest_outcome, p.latest_outcome_on, '', '', p.id FROM placements_placement p "
            "JOIN placements_candidate c ON c.id = p.candidate_id "
            "WHERE c.reference LIKE %s AND p.latest_outcome <> ''",
            [PREFIX + "%"],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--placements", type=int, default=1_000_000, help="How many placements (default 1,000,000).")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: this generator uses PostgreSQL's SQL.")
    existing = bench_placements()
    if existing == args.placements:
        print(f"{existing:,} benchmark placements already there; nothing to do.")
        return
    started = time.perf_counter()
    populate(args.placements)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE placements_candidate, placements_placement, placements_outcome")
    print(f"{bench_placements():,} benchmark placements written in {time.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
