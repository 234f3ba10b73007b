"""`manage.py foi_pack` writes the same audited pack as the FOI pages, with the options docs/interfaces.md names."""

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from reporting.models import FoiRequest
from schemes.models import Location, Organisation, Scheme
from tests.factories import PlacementFactory

D = datetime.date


@pytest.fixture
def hires(world):
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0), tick=False):
        titchfield = Location.objects.get(name="Titchfield")
        for day in (D(2019, 5, 1), D(2020, 2, 1), D(2020, 6, 1), D(2023, 3, 1), D(2023, 9, 1)):
            PlacementFactory.create_batch(3, candidate__organisation=world.ons, offered_on=None, started_on=day)
            PlacementFactory(candidate__organisation=world.ons, offered_on=None, started_on=day, location=titchfield)
        yield


def test_the_command_writes_an_audited_pack_for_the_scope_asked_for(hires, tmp_path):
    out = tmp_path / "FOI-2024-2480.xlsx"
    stdout = io.StringIO()
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0), tick=False):
        call_command(
            "foi_pack",
            "--out", str(out),
            "--scheme", "GFiE",
            "--organisation", "ONS",
            "--year-basis", "financial",
            "--from", "2019",
            "--to", "2023",
            "--request", "FOI-2024-2480",
            stdout=stdout,
        )  # fmt: skip
    assert "disclosure audit passed" in stdout.getvalue()
    workbook = load_workbook(out)
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert workbook["Cover"]["B2"].value == "FOI-2024-2480"
    years = [row[0] for row in workbook["Table_1"].iter_rows(min_row=4, values_only=True)]
    assert years == ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "Total"]
    counts = {row[0]: row[1] for row in workbook["Table_1"].iter_rows(min_row=4, values_only=True)}
    # 2019-20: May 2019 and Feb 2020 (8 hires); 2022-23: March 2023 (4 hires, hidden); the total is all 20.
    assert counts["2019-20"] == 8
    assert counts["2022-23"] == "[c]"
    assert counts["Total"] == 20


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scheme", "NOPE"], "scheme: unknown scheme 'NOPE'"),
        (["--organisation", "NOPE"], "organisation: unknown organisation 'NOPE'"),
        (["--from", "2024", "--to", "2020"], "from: the first year 2024 is after the last year 2020"),
    ],
)
def test_bad_options_are_refused_with_a_message_that_names_them(world, tmp_path, arguments, message):
    out = tmp_path / "pack.xlsx"
    with pytest.raises(CommandError, match=message):
        call_command("foi_pack", "--out", str(out), *arguments)
    assert not out.exists()


def test_a_logged_request_brings_its_scope_to_the_pack(hires, tmp_path):
    FoiRequest.objects.create(
        reference="FOI-2025-0101",
        received_on=D(2025, 5, 1),
        questions="How many care leavers did you hire through GFiE, by financial year?",
        organisation=Organisation.objects.get(code="ONS"),
        scheme=Scheme.objects.get(code="GFiE"),
        year_basis="financial",
        first_year=2020,
        last_year=2023,
    )
    out = tmp_path / "pack.xlsx"
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0), tick=False):
        call_command("foi_pack", "--out", str(out), "--request", "foi-2025-0101", stdout=io.StringIO())
    workbook = load_workbook(out)
    assert workbook["Cover"]["B2"].value == "FOI-2025-0101"
    years = [row[0] for row in workbook["Table_1"].iter_rows(min_row=4, values_only=True)]
    assert years == ["2020-21", "2021-22", "2022-23", "2023-24", "Total"]


def test_an_option_that_contradicts_the_logged_request_is_refused(hires, tmp_path):
    FoiRequest.objects.create(
        reference="FOI-2025-0102",
        received_on=D(2025, 5, 1),
        questions="How many?",
        organisation=Organisation.objects.get(code="ONS"),
        scheme=Scheme.objects.get(code="GFiE"),
    )
    out = tmp_path / "pack.xlsx"
    with pytest.raises(CommandError, match="--scheme: CLIS does not match FOI-2025-0102"):
        call_command("foi_pack", "--out", str(out), "--request", "FOI-2025-0102", "--scheme", "CLIS")
    assert not out.exists()
