"""Dashboard benchmark: the server time of each dashboard page with 1,000,000 placements (issue 14, item 8),
for one department's manager and for a national scheme administrator, against hand-written SQL of the same
aggregates in the same run.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/cl_bench_api REDIS_URL=redis://127.0.0.1:6379/12
    flock /tmp/bench.lock python bench/bench_dashboard.py [--runs 5]

The database is the API benchmark's (bench/populate.py --placements 1000000). The benchmark adds two users
(a manager at HMRC, ~45,000 placements; a scheme administrator at DfE, which owns CLIS, ~670,000 placements
across every department) and removes them, and the dashboard releases it made, at the end; nothing else is
changed. Each page is requested through Django's test client (middleware, access, the figures, the template:
the server's whole work, without a network), DEBUG off:

- *cold*: the statistics cache emptied first (what the first viewer after a change of records waits for,
  including publishing all organisations' family and releasing it through the register);
- *warm*: the same page again (every later viewer until records change);
- *SQL*: the hand-written SQL of the same aggregates the page counts over the user's records (`HAND_SQL`),
  through a plain cursor: the floor the ORM's queries are measured against.

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

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from placements.caching import bump_records_version  # noqa: E402
from reporting.dashboard import months_before  # noqa: E402
from reporting.models import Release  # noqa: E402
from schemes.models import Organisation  # noqa: E402
from schemes.services import set_up_user  # noqa: E402

USERS = {  # username -> (role, organisation, what they see)
    "bench-dash-manager": ("manager", "HMRC", "one department's manager (HMRC)"),
    "bench-dash-scheme-admin": ("scheme_admin", "DFE", "national scheme administrator (DfE: CLIS)"),
}
PAGES = {
    "overview": "/dashboard/?from=2024&to=2024",
    "outcomes": "/dashboard/outcomes/",
    "targets": "/dashboard/targets/",
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


def hand_sql(role: str, organisation: str) -> float:
    today = timezone.localdate()
    params = {
        "first": "2024-01-01",
        "previous": "2023-01-01",
        "last": "2024-12-31",
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


def timed(client: Client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path, secure=True)  # production settings redirect plain HTTP
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    return elapsed


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
    print(f"{connection.settings_dict['NAME']}: {placements.fetchone()[0]:,} placements, {args.runs} runs")
    print("| user | page | first view (ms) | cold (ms, median) | warm (ms, median) | hand-written SQL (ms, median) |")
    print("|---|---|---|---|---|---|")
    try:
        for name, (role, organisation, words) in USERS.items():
            client = Client()
            client.force_login(users[name])
            sql = [hand_sql(role, organisation) for _ in range(args.runs)]
            for page, path in PAGES.items():
                cold, warm = [], []
                for _ in range(args.runs):
                    bump_records_version()  # as a change of records does: every cached figure is stale
                    cold.append(timed(client, path))
                    warm.append(timed(client, path))
                print(
                    f"| {words} | {page} | {cold[0]:.0f} | {statistics.median(cold):.0f} | "
                    f"{statistics.median(warm):.1f} | {statistics.median(sql):.0f} |"
                )
    finally:
        Release.objects.filter(pk__gte=first_release).delete()
        get_user_model().objects.filter(username__in=USERS).delete()


if __name__ == "__main__":
    main()
