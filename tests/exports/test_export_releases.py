"""Scheduled exports that carry statistics are releases, tried as a requester would: a schedule's FOI pack and
progress report are made through the schedule's own path (beat's task, the worker's task, in-process), read
back from their files alone and solved together with an earlier FOI pack of the same hires by the attacker of
tests/reporting/test_releases.py (linear programming over every cell shown). Nothing hidden, and no small
count nobody published, may be recovered; the register shows each export's release and what it was checked
against. The records extract is personal data for one organisation, not statistics: no release, a read audit."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from openpyxl import load_workbook

from placements.models import RecordAccess
from reporting.breakdowns import Scope
from reporting.exports import runs
from reporting.exports.models import ExportRun, ExportSchedule, RunStatus
from reporting.models import Release, ReleaseKind
from reporting.publication import published_family
from reporting.tasks import fire_schedule
from schemes.models import Organisation, Scheme, Target
from schemes.services import set_up_user
from tests.accessible_workbooks import notes_table
from tests.factories import LocationFactory, PlacementFactory
from tests.reporting.test_releases import (
    HMRC_CLIS,
    HMRC_UNITS,
    Attacker,
    ReadPack,
    ReadTable,
    at,
    foi_pack,
    hires,
    make,
    read_pack,
    tables_read_from_family,
)

D = datetime.date


@pytest.fixture
def hmrc(world, eager_tasks):
    LocationFactory(name="Southend-on-Sea", region="east")
    return world


def fire(schedule: ExportSchedule, day: datetime.date, django_capture_on_commit_callbacks) -> ExportRun:
    """Beat fires the schedule on `day` (its hour, UTC); the worker's task makes the run, in-process."""
    moment = datetime.datetime(day.year, day.month, day.day, 7, 0, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        fire_schedule(schedule.pk)
    run = ExportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.DONE, run.error
    return run


def export_path(run: ExportRun):
    return runs.export_storage().path(run.file)


@pytest.fixture
def a_year_apart(hmrc, tmp_path, django_capture_on_commit_callbacks):
    """An FOI officer's pack for 2014-2024 in February 2025; 2025's hires recorded over the year; then HMRC's
    monthly FOI pack export fires on 1 January 2026 (the pack of every year up to 2025)."""
    world = hires("HMRC", "CLIS", HMRC_CLIS)
    make([hire for hire in world if hire.started.year < 2025])
    earlier = foi_pack(
        tmp_path, D(2025, 2, 10), "--scheme", "CLIS", "--organisation", "HMRC", "--from", "2014", "--to", "2024"
    )
    make([hire for hire in world if hire.started.year == 2025])
    schedule = ExportSchedule.objects.create(
        name="HMRC CLIS FOI pack",
        export="foi_pack",
        organisation=Organisation.objects.get(code="HMRC"),
        scheme=Scheme.objects.get(code="CLIS"),
        frequency="monthly",
        owner=set_up_user("hmrc_foi", "foi", ["HMRC"]),
    )
    run = fire(schedule, D(2026, 1, 1), django_capture_on_commit_callbacks)
    return world, earlier, run


def test_the_same_two_files_without_the_joint_audit_would_give_counts_away(a_year_apart):
    """What the export would have shown had it been protected on its own (its scope's family, unaudited against
    the pack of February 2025): the attacker has something to find in this world."""
    world, earlier, _ = a_year_apart
    with time_machine.travel(at(D(2026, 1, 1)), tick=False):
        alone = published_family(Scope(scheme="CLIS", organisation="HMRC", last_year=2025))
    unaudited = tables_read_from_family(alone, 2014, 2025, D(2026, 1, 1))
    assert Attacker([read_pack(earlier), unaudited], HMRC_UNITS, world).recovered() != []


def test_a_scheduled_foi_pack_beside_an_earlier_pack_of_the_same_scope_recovers_nothing(a_year_apart):
    world, earlier, run = a_year_apart
    assert Attacker([read_pack(earlier), read_pack(export_path(run))], HMRC_UNITS, world).recovered() == []


def test_the_export_s_release_is_in_the_register_with_what_it_was_checked_against(a_year_apart, client):
    _, earlier, run = a_year_apart
    (release,) = run.releases.all()
    assert release.kind == ReleaseKind.EXPORT
    pack = Release.objects.get(kind=ReleaseKind.PACK)
    assert list(release.checked_against.all()) == [pack]
    assert release.released_by.username == "hmrc_foi"  # the schedule's owner
    assert (release.scheme.code, release.organisation.code, release.last_year) == ("CLIS", "HMRC", 2025)
    notes = {subject: text for _, subject, text in notes_table(load_workbook(export_path(run)))}
    assert "checked together with the 1 earlier release" in notes["Earlier releases"]
    # The run's page says, in words, what the figures were checked against.
    client.force_login(User.objects.get(username="hmrc_foi"))
    page = client.get(f"/exports/runs/{run.pk}/").content.decode()
    assert "Checked together with 1 earlier release(s)" in page
    assert pack.describe() in page
    # What the register keeps is what the file shows, cell by cell: the requester's reading of Table_1.
    shown = {tuple(key): value for key, value in release.tables[0]["cells"]}
    by_year = load_workbook(export_path(run))["Table_1"]
    for year, number in by_year.iter_rows(min_row=4, values_only=True):
        key = (None,) if year == "Total" else (year,)
        assert shown[key] == (None if number == "[c]" else number)


def read_progress_report(path) -> list[ReadPack]:
    """The progress report as the attacker reads it: for each pledge or target, its hires and their latest
    outcomes over the target's year, a table by year and outcome of one year."""
    workbook = load_workbook(path)
    rows = list(workbook["Table_1"].values)
    headings = [re.sub(r" \[note \d+\]", "", heading) for heading in rows[2]]
    outcomes = [heading.removeprefix("Latest outcome: ") for heading in headings if heading.startswith("Latest")]
    produced = datetime.datetime.strptime(dict(list(workbook["Cover"].values)[1:])["Date produced"], "%d %B %Y")
    packs = []
    for row in rows[3:]:
        target = dict(zip(headings, row, strict=True))
        year, basis = int(target["Period"][:4]), "financial" if "-" in target["Period"] else "calendar"
        label = target["Period"]
        cells = {(label, outcome): target[f"Latest outcome: {outcome}"] for outcome in outcomes}
        cells[(label, "Total")] = target["Hires"]
        cells = {key: None if value == "[c]" else value for key, value in cells.items()}
        table = ReadTable(("year", "outcome"), False, cells, [*outcomes, "Total"], [label, "Total"])
        packs.append(ReadPack(target["Scheme"], target["Organisation"], basis, year, year, produced.date(), [table]))
    return packs


def test_a_progress_report_beside_earlier_packs_recovers_nothing_and_is_released(
    hmrc, tmp_path, django_capture_on_commit_callbacks
):
    """HMRC's 2025 pledge: the quarterly progress report of 2025's last quarter, beside the FOI officer's pack of
    2014-2024 and a pack over every year made the same week."""
    world = hires("HMRC", "CLIS", HMRC_CLIS)
    make(world)
    hmrc_org, clis = Organisation.objects.get(code="HMRC"), Scheme.objects.get(code="CLIS")
    Target.objects.create(organisation=hmrc_org, scheme=clis, period="2025", kind="pledge", number=10)
    packs = [
        foi_pack(tmp_path, D(2025, 12, 29), "--scheme", "CLIS", "--organisation", "HMRC", "--from", "2014"),
        foi_pack(
            tmp_path, D(2025, 12, 30), "--scheme", "CLIS", "--organisation", "HMRC", "--from", "2014", "--to", "2024"
        ),
    ]
    schedule = ExportSchedule.objects.create(
        name="HMRC progress", export="progress_report", organisation=hmrc_org, scheme=clis, frequency="quarterly"
    )
    run = fire(schedule, D(2026, 1, 1), django_capture_on_commit_callbacks)
    (report,) = read_progress_report(export_path(run))
    assert Attacker([*map(read_pack, packs), report], HMRC_UNITS, world).recovered() == []
    (release,) = run.releases.all()
    assert release.kind == ReleaseKind.EXPORT
    assert (release.first_year, release.last_year) == (2025, 2025)
    assert set(release.checked_against.all()) == set(Release.objects.filter(kind=ReleaseKind.PACK))


def test_a_records_extract_is_no_release_and_each_opening_is_a_read_in_the_audit(world, client):
    PlacementFactory.create_batch(3, candidate__organisation=world.ons)
    run, _ = runs.request_run("records_extract", runs.Period.parse("2024-09"), organisation=world.ons, queue=False)
    runs.execute_run(run.pk, token="test")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.releases.count() == 0
    assert Release.objects.count() == 0
    client.force_login(world.ons_hr)
    assert client.get(f"/exports/runs/{run.pk}/download/").status_code == 200
    reads = RecordAccess.objects.filter(user=world.ons_hr, how=RecordAccess.How.EXPORT)
    assert reads.count() == 3
