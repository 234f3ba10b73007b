"""`manage.py run_export` as docs/interfaces.md section 5 describes it."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from reporting.exports.models import ExportRun
from tests.factories import PlacementFactory


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2024, 10, 1, 7, 0, tzinfo=datetime.UTC), tick=False):
        yield


def run_export(*args) -> list[str]:
    out = io.StringIO()
    call_command("run_export", *args, stdout=out)
    return out.getvalue().splitlines()


def test_list_prints_each_export_name_first_on_its_line(db):
    lines = run_export("--list")
    names = [line.split()[0] for line in lines]
    assert names == ["foi_pack", "progress_report", "records_extract"]
    assert all(re.match(r"^[a-z_]+\s+\S", line) for line in lines)


def test_an_export_runs_now_and_running_it_again_gives_the_same_file(world, exports_root):
    PlacementFactory.create_batch(6, candidate__organisation=world.ons)
    first = run_export("records_extract", "--organisation", "ons")
    location = first[-1]
    assert location.startswith(str(exports_root))
    assert location.endswith(".xlsx")
    assert "2024-09" in location  # the last complete month by default
    again = run_export("records_extract", "--organisation", "ONS", "--period", "2024-09")
    assert again[-1] == location
    assert "already exists" in again[0]
    assert "no second file made" in again[0]
    assert ExportRun.objects.count() == 1
    assert len(list(exports_root.rglob("*.xlsx"))) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense"], "Unknown export 'nonsense'"),
        (["foi_pack", "--period", "2024-13"], "did you mean 2024-25?"),
        (["foi_pack", "--organisation", "NOPE"], "Unknown organisation 'NOPE'"),
        (["records_extract"], "for one organisation"),
        ([], "Give an export name"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        run_export(*args)
    assert not ExportRun.objects.exists()


def test_the_period_fits_the_export(world, exports_root):
    assert "progress_report/2024-Q3/" in run_export("progress_report", "--scheme", "CLIS")[-1]
    assert "foi_pack/2023-24/" in run_export("foi_pack", "--scheme", "CLIS", "--period", "2023-24")[-1]
