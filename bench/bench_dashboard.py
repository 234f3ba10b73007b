"""Dashboard benchmark: the server time of each dashboard page with 1,000,000 placements (issue 14, item 8),
for one department's manager and for a national scheme administrator, against hand-written SQL of the same
aggregates in the same run.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench_api REDIS_URL=redis://127.0.0.1:6379/12
    flock -x /tmp/quiet.lock python bench/bench_dashboard.py [--runs 5]

The database is the API benchmark's (bench/populate.py --placements 1000000, starts from 2015 to the end of
2025), on today's clock: with the clock travelled back before the records were written, releasing all
organisations' family fails its joint audit ("The records changed while this release was being produced").
The pages are those with their default filters (this year, and the year before on the overview: what the
warming works out), plus the overview of 2024 as an example of a filtered view, which is not warmed. The
benchmark adds two users (a manager at HMRC, ~45,000 placements; a scheme administrator at DfE, which owns
CLIS, ~670,000 placements across every department) and removes them, their reads and the dashboard releases it
made, at the end; nothing else is changed. Each page is requested through Django's test client (middleware,
access, the figures, the template: the server's whole work, without a network), DEBUG off:

- *first view*: the very first cold view of the run, which also releases all organisations' family for the
  quarter through the register's joint audit (decision 0081);
- *cold*: the records version replaced first (as any change of records does) and nothing warmed: what the
  first viewer after a change would wait for without the warming task;
- *after warming*: the records version replaced, then `reporting.warming.warm()` (the warming task's work,
  timed on its own, for every viewer in the database), then the page: what the first viewer after a change
  waits for once the task has run;
- *warm*: the same page again;
- *SQL*: the hand-written SQL of the same aggregates the overview and outcomes pages count over the user's
  records (`HEADLINE_SQL` for the overview's period and the one before, `COHORT_SQL`), through a plain
  cursor: the floor the ORM's queries are measured against.

Target: under 300 ms of server time per page.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["DEBUG"] = "false"
os.environ["DASHBOARD_WARMING"] = "false"  # no worker here: the benchmark runs the warming itself

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from placements.caching import bump_records_version  # noqa: E402
from placements.models import RecordAccess  # noqa: E402
from reporting import warming  # noqa: E402
from reporting.dashboard import months_before  # noqa: E402
from reporting.models import Release  # noqa: E402
from schemes.models import Organisation  # noqa: E402
from schemes.services import set_up_user  # noqa: E402

USERS = {  # username -> (role, organisation, what they see)
    "bench-dash-manager": ("manager", "HMRC", "one department's manager (HMRC)"),
    "bench-dash-scheme-admin": ("scheme_admin", "DFE", "national scheme administrator (DfE: CLIS)"),
}
PAGES = {  # name -> (path, the overview's year for the hand SQL, or None for the default: this year)
    "overview": ("/dashboard/", None),
    "outcomes": ("/dashboard/outcomes/", None),
    "targets": ("/dashboard/targets/", None),
    "pipeline": ("/dashboard/pipeline/", None),
    "overview of 2024 (filtered, not warmed)": ("/dashboard/?from=2024&to=2024", 2024),
}

# The same aggregates as the pages, by hand: the headline figures of a period and the one before, and the
# cohorts by year of start. `{scope}` is the user's records (their organisations, or their schemes).
HEADLINE_SQL = """
SELECT
  count(*) FILTER (WHERE started_on >= %(first)s),
  count(DISTINCT candidate_id) FILTER (WHERE started_on >= %(first)s),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY started_on - offered_on)
    FILTER (WHERE started_on >= %(first)s AND offered_on <= started_on),
  count(*) FILTER (WHERE started_on >= %(first)s AND latest_outcome = 'permanent'),
  count(*) FILTER (WHERE started_on >= %(first)s AND latest_outcome = 'left_early'),
  count(*) FILTER (WHERE started_on >= %(first)s AND started_on <= %(six)s),
  count(*) FILTER (WHERE started_on >= %(first)s AND started_on <= %(six)s
    AND (ended_on IS NULL OR ended_on >= (started_on + interval '6 months')::date)),
  count(*) FILTER (WHERE started_on < %(first)s),
  count(DISTINCT candidate_id) FILTER (WHERE started_on < %(first)s),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY started_on - offered_on)
    FILTER (WHERE started_on < %(first)s AND offered_on <= started_on)
FROM placements_placement
WHERE {scope} AND started_on >= %(previous)s AND started_on <= %(last)s
"""
COHORT_SQL = """
SELECT extract(year FROM started_on) AS year, count(*), count(DISTINCT candidate_id),
  count(*) FILTER (WHERE latest_outcome = 'permanent'),
  count(*) FILTER (WHERE latest_outcome IN ('in_post', 'extended')),
  count(*) FILTER (WHERE started_on <= %(six)s
    AND (ended_on IS NULL OR ended_on >= (started_on + interval '6 months')::date))
FROM placements_placement
WHERE {scope} AND started_on >= '2000-01-01' AND started_on <= %(today)s
GROUP BY 1 ORDER BY 1
"""


def scope_sql(role: str, organisation: str) -> str:
    tree = Organisation.objects.tree()
    ids = sorted(tree.descendant_ids([tree.id_of(organisation)]))
    own = f"organisation_id IN ({','.join(map(str, ids))})"
    if role != "scheme_admin":
        return own
    return f"({own} OR scheme_id IN (SELECT id FROM schemes_scheme WHERE owner_id IN ({','.join(map(str, ids))})))"


def hand_sql(role: str, organisation: str, year: int | None) -> float:
    today = timezone.localdate()
    year = year or today.year
    params = {
        "first": f"{year}-01-01",
        "previous": f"{year - 1}-01-01",
        "last": f"{year}-12-31",
        "six": months_before(today, 6),
        "today": today,
    }
    scope = scope_sql(role, organisation)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(HEADLINE_SQL.format(scope=scope), params)
        cursor.fetchall()
        cursor.execute(COHORT_SQL.format(scope=scope), params)
        cursor.fetchall()
    return (time.perf_counter() - start) * 1000


def timed(client: Client, path: str) -> tuple[float, int]:
    """Server time in ms, and how many of the page's queries read placements."""
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(path, secure=True)  # production settings redirect plain HTTP
        elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    return elapsed, sum("placements_placement" in query["sql"] for query in queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Static files by name (no collectstatic manifest needed): the pages' own work is what is measured.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    first_release = (Release.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    users = {name: set_up_user(name, role, [organisation]) for name, (role, organisation, _) in USERS.items()}
    placements = connection.cursor()
    placements.execute("SELECT count(*) FROM placements_placement")
    print(
        f"{connection.settings_dict['NAME']}: {placements.fetchone()[0]:,} placements, {args.runs} runs, "
        f"today {timezone.localdate()}"
    )
    clients = {}
    for name in USERS:
        clients[name] = Client()
        clients[name].force_login(users[name])
    cold, after, warm, reads, warming_times = {}, {}, {}, {}, []
    first = None
    try:
        sql = {
            (name, year): [hand_sql(role, organisation, year) for _ in range(args.runs)]
            for name, (role, organisation, _) in USERS.items()
            for year in (None, 2024)
        }
        print(f"viewers warmed: {len(warming.viewers())}")
        for _ in range(args.runs):
            for name in USERS:
                for page, (path, _) in PAGES.items():
                    bump_records_version()  # as a change of records does: every kept figure is stale
                    elapsed, _ = timed(clients[name], path)
                    if first is None:
                        first = (name, page, elapsed)
                    else:
                        cold.setdefault((name, page), []).append(elapsed)
            bump_records_version()
            start = time.perf_counter()
            warming.warm()
            warming_times.append((time.perf_counter() - start) * 1000)
            for name in USERS:
                for page, (path, _) in PAGES.items():
                    elapsed, placement_queries = timed(clients[name], path)
                    after.setdefault((name, page), []).append(elapsed)
                    reads.setdefault((name, page), []).append(placement_queries)
                    warm.setdefault((name, page), []).append(timed(clients[name], path)[0])
        print(f"first view ({first[0]}, {first[1]}): {first[2]:.0f} ms")
        print(f"warming (all viewers' pages), median: {statistics.median(warming_times):.0f} ms {warming_times}")
        print(
            "| user | page | cold (ms, median) | after warming (ms, median) | warm (ms, median) "
            "| queries reading placements after warming | hand-written SQL (ms, median) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|")
        for name, (_, _, words) in USERS.items():
            for page, (_, year) in PAGES.items():
                key = (name, page)
                hand = f"{statistics.median(sql[name, year]):.0f}" if page.startswith(("overview", "outcomes")) else "–"
                print(
                    f"| {words} | {page} | {statistics.median(cold[key]):.0f} | {statistics.median(after[key]):.0f} | "
                    f"{statistics.median(warm[key]):.0f} | {max(reads[key])} | {hand} |"
                )
    finally:
        Release.objects.filter(pk__gte=first_release).delete()
        RecordAccess.objects.filter(user__username__in=USERS).delete()  # the pipeline page's reads, the bench's own
        get_user_model().objects.filter(username__in=USERS).delete()


if __name__ == "__main__":
    main()
