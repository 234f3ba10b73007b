"""After records change, the dashboards' figures are worked out again off the request path, so the next viewer of
each page finds them kept (reporting/warming.py): checked as a viewer would, by the queries their page runs."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careleavers.celery import app as celery_app
from reporting import tasks, warming
from schemes.models import Scheme
from schemes.services import set_up_user
from tests.factories import CandidateFactory, PlacementFactory

PAGES = ("/dashboard/", "/dashboard/outcomes/", "/dashboard/targets/", "/dashboard/pipeline/")


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def warming_on(settings):
    settings.DASHBOARD_WARMING = True
    settings.DASHBOARD_WARMING_DELAY_SECONDS = 30


def hire(organisation, started_on, scheme="GFiE", **fields):
    return PlacementFactory(
        candidate=CandidateFactory(organisation=organisation),
        scheme=Scheme.objects.get(code=scheme),
        started_on=started_on,
        offered_on=started_on - datetime.timedelta(days=60) if started_on else datetime.date(2025, 3, 1),
        **fields,
    )


@pytest.fixture
def records(committed_reference_data, world):
    for day in (6, 7, 8):
        hire(world.ons, datetime.date(2025, 1, day))
        hire(world.dwp, datetime.date(2025, 2, day), scheme="CLIS")
    hire(world.ons, None)  # an offer waiting to start
    return world


def placement_queries(client, page: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page).status_code == 200
    return [query["sql"] for query in captured.captured_queries if "placements_placement" in query["sql"]]


def test_after_warming_every_viewer_s_pages_read_no_placement(records, client, warming_on):
    world = records
    second_manager = set_up_user("ons_manager_2", "manager", ["ONS"])  # the same records as ons_manager
    tasks.warm_dashboards()
    viewers = (world.ons_manager, second_manager, world.ons_hr, world.dwp_hr, world.dfe_scheme_admin, world.superuser)
    for user in viewers:
        client.force_login(user)
        for page in PAGES:
            assert placement_queries(client, page) == [], (user.username, page)


def test_the_viewers_warmed_are_one_per_set_of_memberships_that_see_records(records):
    set_up_user("ons_manager_2", "manager", ["ONS"])
    warmed = {user.username for user in warming.viewers()}
    # ons_foi and ons_api see no records; ons_manager_2 has the same memberships as ons_manager
    assert warmed == {"ons_hr", "ons_manager", "dwp_hr", "dfe_scheme_admin", "superuser"}


def test_a_change_of_records_schedules_one_warming_that_leaves_the_pages_kept(
    records, warming_on, client, django_capture_on_commit_callbacks, monkeypatch
):
    world = records
    queued = []
    monkeypatch.setattr(tasks.warm_dashboards, "apply_async", lambda **options: queued.append(options))
    with django_capture_on_commit_callbacks(execute=True):
        hire(world.ons, datetime.date(2025, 3, 3))
    with django_capture_on_commit_callbacks(execute=True):
        hire(world.ons, datetime.date(2025, 3, 4))
    assert queued == [{"countdown": 30}]  # the second change waits for the same warming
    monkeypatch.undo()

    client.force_login(world.ons_manager)
    assert placement_queries(client, PAGES[0])  # records changed and nothing warmed yet: the page counts
    celery_app.conf.task_always_eager = True  # the task runs as it is queued, in this process
    try:
        tasks.warm_dashboards()  # the queued one runs: the flag goes, so the next change schedules again
        with django_capture_on_commit_callbacks(execute=True):
            hire(world.ons, datetime.date(2025, 3, 5))
    finally:
        celery_app.conf.task_always_eager = False
    for page in PAGES:
        assert placement_queries(client, page) == [], page
    assert "Hires" in client.get(PAGES[0]).content.decode()


def test_warming_switched_off_leaves_every_figure_to_the_first_viewer(records, client, settings):
    settings.DASHBOARD_WARMING = False
    tasks.warm_dashboards()
    client.force_login(records.ons_manager)
    assert placement_queries(client, "/dashboard/") != []


def test_beat_warms_again_every_hour_what_lapsed_without_a_change(records, client, warming_on, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["warm-dashboards"]
    assert celery_app.tasks[entry["task"]].run is tasks.warm_dashboards.run
    assert entry["schedule"].hour == set(range(24))
    assert entry["schedule"].minute == {1}
    tasks.warm_dashboards()
    # The next day every kept figure has lapsed (the day is in its key); beat's run works them out again.
    with time_machine.travel(datetime.datetime(2025, 6, 3, 0, 1, tzinfo=datetime.UTC), tick=False):
        tasks.warm_dashboards()
        client.force_login(records.ons_manager)
        assert placement_queries(client, "/dashboard/") == []
