"""Pipeline dashboard benchmark: the waits' percentiles and the waiting list against the same answers written by
hand in PostgreSQL (percentile_cont with GROUPING SETS; the waiting filter as plain WHERE clauses), and the whole
page's server time, for one department's manager and for a national scheme administrator. Target (issue 14,
item 8): the page in under 300 ms of server time with 1,000,000 placements.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench python bench/populate.py --placements 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench python bench/bench_pipeline.py [--runs 5]

bench/populate.py's placements start from 2015 to the end of 2025, a twentieth of them offers never started, so
the clock is set to 1 July 2025: a year of starts behind it (about 90,000 nationally) and about 50,000 offers
waiting. Timings are medians of interleaved runs (service, hand SQL, service...), so load from other processes
hits both sides alike. The service's side counts afresh (`count_wait_statistics`, the waiting queryset itself);
the whole page is timed cold (the records version replaced first, as any change of records does: every figure
and row is read again) and warm (the same page again: everything kept). Prints Markdown tables for
BENCHMARKS.md.
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
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["DASHBOARD_WARMING"] = "false"  # no worker here: the pages are timed without it

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from placements.access import Access, Action  # noqa: E402
from placements.caching import bump_records_version  # noqa: E402
from placements.models import Placement  # noqa: E402
from placements.pipeline import WAIT_STATISTICS_DAYS, count_wait_statistics, waiting  # noqa: E402
from schemes.models import Membership, Organisation, Scheme  # noqa: E402
from schemes.services import set_up_user  # noqa: E402

AS_AT = datetime.date(2025, 7, 1)
USERS = {  # who, and the WHERE clause their records come to when written by hand
    "one department's manager (ONS)": ("bench_ons_manager", "manager", "ONS"),
    "national scheme administrator (DfE, CLIS)": ("bench_dfe_admin", "scheme_admin", "DFE"),
}


def hand_scope(user) -> tuple[str, list]:
    holders = sorted(Membership.objects.organisation_ids(user, ("hr", "manager", "scheme_admin")))
    owners = sorted(Membership.objects.organisation_ids(user, ("scheme_admin",)))
    schemes = list(Scheme.objects.filter(owner_id__in=owners).values_list("pk", flat=True))
    return "(organisation_id = ANY(%s) OR scheme_id = ANY(%s))", [holders, schemes]


def hand_percentiles(where: str, params: list) -> int:
    first_day = AS_AT - datetime.timedelta(days=WAIT_STATISTICS_DAYS)
    sql = (
        "SELECT scheme_id, organisation_id, count(*), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY started_on - offered_on), "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY started_on - offered_on) "
        f"FROM placements_placement WHERE {where} AND offered_on IS NOT NULL AND started_on > %s AND started_on <= %s "
        "GROUP BY GROUPING SETS ((scheme_id, organisation_id), (scheme_id), (organisation_id))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, first_day, AS_AT])
        return len(cursor.fetchall())


def hand_waiting(where: str, params: list) -> int:
    waiting_where = (
        f"{where} AND offered_on <= %s AND (started_on IS NULL OR started_on > %s) "
        "AND NOT (started_on IS NULL AND latest_outcome = 'withdrew') AND (ended_on IS NULL OR ended_on > %s)"
    )
    dates = [AS_AT, AS_AT, AS_AT]
    joined_where = waiting_where.replace("organisation_id", "p.organisation_id").replace("scheme_id", "p.scheme_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM placements_placement WHERE {waiting_where}", [*params, *dates])
        cursor.execute(
            "SELECT p.id, c.reference, p.offered_on, %s - p.offered_on FROM placements_placement p "
            "JOIN placements_candidate c ON c.id = p.candidate_id "
            f"WHERE {joined_where} "
            "ORDER BY p.offered_on, p.id LIMIT 50",
            [AS_AT, *params, *dates],
        )
        return len(cursor.fetchall())


def service_waiting(user) -> int:
    offers = waiting(Access(user).restrict(Placement.objects.all(), Action.VIEW), AS_AT).select_related("candidate")
    offers.count()
    return len(list(offers[:50]))


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def median_pair(service, hand, runs: int) -> tuple[float, float]:
    service(), hand()  # warm the caches on both sides
    times = {"service": [], "hand": []}
    for _ in range(runs):
        times["service"].append(timed(service))
        times["hand"].append(timed(hand))
    return statistics.median(times["service"]), statistics.median(times["hand"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database filled by bench/populate.py.")
    setup_test_environment()  # the test client's response context, for the page's query count
    # Pages link `{% static %}` files; without `collectstatic` there is no manifest to look their names up in.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    print(f"{Placement.objects.count():,} placements; clock at {AS_AT}\n")
    print("| who | what | service | hand SQL | ratio |")
    print("|---|---|---:|---:|---:|")
    pages = []
    with time_machine.travel(datetime.datetime(2025, 7, 1, 9, 0, tzinfo=datetime.UTC), tick=True):
        for label, (username, role, organisation) in USERS.items():
            Organisation.objects.get(code=organisation)
            user = set_up_user(username, role, [organisation])
            where, params = hand_scope(user)
            for what, service, hand in (
                (
                    "waits' median and 90th percentile (3 groupings)",
                    lambda user=user: count_wait_statistics(user, Placement.objects.all(), AS_AT),
                    lambda where=where, params=params: hand_percentiles(where, params),
                ),
                (
                    "offers waiting: count and first page of 50",
                    lambda user=user: service_waiting(user),
                    lambda where=where, params=params: hand_waiting(where, params),
                ),
            ):
                ours, theirs = median_pair(service, hand, args.runs)
                print(f"| {label} | {what} | {ours:.0f} ms | {theirs:.0f} ms | {ours / theirs:.2f} |")
            client = Client()
            client.force_login(user)
            assert client.get("/dashboard/pipeline/", secure=True).status_code == 200
            cold, warm = [], []
            for _ in range(args.runs):
                bump_records_version()
                with CaptureQueriesContext(connection) as cold_queries:
                    cold.append(timed(lambda client=client: client.get("/dashboard/pipeline/", secure=True)))
                with CaptureQueriesContext(connection) as warm_queries:
                    warm.append(timed(lambda client=client: client.get("/dashboard/pipeline/", secure=True)))
            reads = sum("placements_placement" in query["sql"] for query in warm_queries.captured_queries)
            pages.append(
                (label, statistics.median(cold), len(cold_queries), statistics.median(warm), len(warm_queries), reads)
            )
    print(
        "\n| who | whole page cold (server time, test client) | queries | warm | queries | of which read placements |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, cold_ms, cold_queries, warm_ms, warm_queries, reads in pages:
        print(f"| {label} | {cold_ms:.0f} ms | {cold_queries} | {warm_ms:.0f} ms | {warm_queries} | {reads} |")


if __name__ == "__main__":
    main()
