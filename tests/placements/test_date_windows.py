"""Plausible dates only (issue 13 item 2): every date has a window, the same for the import, the admin's forms and
the API; `check_data` lists the stored records outside them."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from placements.models import Candidate, Placement
from schemes.models import Scheme
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

from .spreadsheets import write_csv
from .test_import_placements import hire, import_command, refused

D = datetime.date
TODAY = datetime.datetime(2025, 6, 2, 9, 0)


@pytest.fixture(autouse=True)
def pinned_clock():
    """Windows run from today: these tests' today is 2 June 2025."""
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"Offer date": None, "Start date": "01/01/0024"},
            "row 2, Start date: 01/01/0024: year 24 is before 2000; did you mean 2024?",
        ),
        ({"Offer date": None, "Start date": "0001-01-01"}, "row 2, Start date: 0001-01-01: year 1 is before 2000"),
        (
            {"Planned end date": "9999-12-31"},
            "row 2, Planned end date: 9999-12-31: is after 2029-06-05, the latest date accepted (1464 days from today)",
        ),
        (
            {"End date": "2031-01-31"},
            "row 2, End date: 2031-01-31: is after 2026-06-03, the latest date accepted (366 days from today)",
        ),
        (
            {"Outcome date": "04/09/0024"},
            "row 2, Outcome date: 04/09/0024: year 24 is before 2000; did you mean 2024?",
        ),
        (
            {"Date of birth": "2015-03-01"},
            "row 2, Date of birth: 2015-03-01: the candidate would be 8 at the offer on 2023-06-01; "
            "a candidate is 14 to 30 at the offer",
        ),
        (
            {"Date of birth": "17/05/0003"},
            "row 2, Date of birth: 17/05/0003: the candidate would be 2020 at the offer on 2023-06-01; "
            "a candidate is 14 to 30 at the offer; did you mean 2003?",
        ),
        (
            {"Date of birth": "1990-01-01", "Offer date": None},
            "row 2, Date of birth: 1990-01-01: the candidate would be 33 at the start on 2023-09-04",
        ),
    ],
)
def test_a_date_outside_its_window_is_a_row_error_saying_why(world, tmp_path, overrides, expected):
    err = refused(write_csv(tmp_path / "dates.csv", [hire("ONS-1", **overrides), hire("ONS-2")]))
    assert expected in err
    assert not Placement.objects.exists()


def test_the_dates_just_inside_the_windows_are_accepted(world, tmp_path):
    rows = [
        hire("ONS-1", **{"Offer date": "2000-01-01", "Start date": "2000-01-03", "Date of birth": "1985-12-31"}),
        hire("ONS-2", **{"Start date": "2026-06-03", "Offer date": "2025-06-01", "Planned end date": "2029-06-05"}),
        hire("ONS-3", **{"Date of birth": "1992-06-02", "Offer date": "2023-06-01"}),  # 30 at the offer
    ]
    for row in rows[1:]:
        row.update({"Outcome": None, "Outcome date": None})
    out, _ = import_command(write_csv(tmp_path / "edges.csv", rows))
    assert "3 rows read: 3 placements created" in out


def test_a_scheme_with_a_first_year_refuses_dates_before_it(world, tmp_path):
    Scheme.objects.filter(code="GFiE").update(first_year=2020)
    err = refused(write_csv(tmp_path / "early.csv", [hire("ONS-1", **{"Offer date": "2019-11-01"})]))
    assert "row 2, Offer date: 2019-11-01: year 2019 is before 2020, the first year of GFiE" in err


def test_the_windows_are_settings(world, tmp_path, settings):
    settings.AGE_AT_OFFER_MIN, settings.RECORD_DATES_EARLIEST_YEAR = 16, 2024
    err = refused(write_csv(tmp_path / "young.csv", [hire("ONS-1", **{"Date of birth": "2008-01-01"})]))
    assert "row 2, Date of birth: 2008-01-01: the candidate would be 15 at the offer on 2023-06-01" in err
    assert "a candidate is 16 to 30 at the offer" in err
    assert "row 2, Offer date: 2023-06-01: year 2023 is before 2024" in err


def test_the_admin_and_the_api_refuse_the_same_dates(world):
    """Placement.clean applies the windows, and so the admin's forms and the API (which runs full_clean)."""
    placement = PlacementFactory.build(candidate=CandidateFactory(), offered_on=None, started_on=D(24, 1, 1))
    with pytest.raises(ValidationError) as refused_placement:
        placement.full_clean()
    said = refused_placement.value.message_dict
    assert said["started_on"] == ["0024-01-01: year 24 is before 2000; did you mean 2024?"]

    young = CandidateFactory(date_of_birth=D(2015, 3, 1))
    with pytest.raises(ValidationError) as refused_offer:
        PlacementFactory.build(candidate=young).full_clean()
    said = refused_offer.value.message_dict["offered_on"][0]
    assert said.startswith("Date of birth 2015-03-01: the candidate would be 8 at the offer on 2023-06-01")

    outcome = OutcomeFactory.build(placement=PlacementFactory(), on=D(9999, 1, 1))
    with pytest.raises(ValidationError) as refused_outcome:
        outcome.full_clean()
    assert "9999-01-01: is after 2026-06-03" in refused_outcome.value.message_dict["on"][0]

    stored = PlacementFactory().candidate
    stored.date_of_birth = D(1960, 1, 1)
    with pytest.raises(ValidationError) as refused_birth:
        stored.full_clean()
    said = refused_birth.value.message_dict["date_of_birth"][0]
    assert "the candidate would be 63 at the offer on 2023-06-01" in said


def test_check_data_lists_the_stored_records_outside_the_windows(world):
    fine = PlacementFactory()
    early = PlacementFactory(offered_on=None, started_on=D(24, 1, 1))
    young = PlacementFactory(candidate=CandidateFactory(date_of_birth=D(2015, 3, 1)))
    late = OutcomeFactory(placement=fine, on=D(2031, 1, 1))
    old = PlacementFactory(candidate=CandidateFactory(date_of_birth=D(1960, 1, 1)))
    out = StringIO()
    with pytest.raises(CommandError, match="4 stored dates lie outside the date windows"):
        call_command("check_data", stdout=out)
    listed = out.getvalue().splitlines()
    assert listed == [
        f"Placement {early.pk} (ONS {early.candidate.reference}, GFiE), Start date: 0024-01-01: year 24 is before "
        "2000; did you mean 2024?",
        f"Outcome {late.pk} of placement {fine.pk}, Outcome date: 2031-01-01: is after 2026-06-03, the latest date "
        "accepted (366 days from today)",
        f"Candidate {young.candidate.pk} (ONS {young.candidate.reference}), Date of birth: 2015-03-01: the candidate "
        "would be 8 at the offer on 2023-06-01; a candidate is 14 to 30 at the offer",
        f"Candidate {old.candidate.pk} (ONS {old.candidate.reference}), Date of birth: 1960-01-01: the candidate "
        "would be 63 at the offer on 2023-06-01; a candidate is 14 to 30 at the offer",
    ]


def test_check_data_says_so_when_every_date_is_within_the_windows(world):
    PlacementFactory(candidate=CandidateFactory(date_of_birth=D(2003, 5, 17)))
    out = StringIO()
    call_command("check_data", stdout=out)
    assert "Every stored date lies within the date windows." in out.getvalue()


def test_a_changed_date_of_birth_counts_the_placement_as_updated_and_is_in_its_history(world, tmp_path):
    import_command(write_csv(tmp_path / "v1.csv", [hire("ONS-1")]))
    out, _ = import_command(write_csv(tmp_path / "v2.csv", [hire("ONS-1", **{"Date of birth": "2003-05-18"})]))
    assert "1 rows read: 0 placements created, 1 updated, 0 unchanged" in out
    candidate = Candidate.objects.get()
    assert candidate.date_of_birth == D(2003, 5, 18)
    assert [row.date_of_birth for row in candidate.history.order_by("history_id")] == [D(2003, 5, 17), D(2003, 5, 18)]
    assert candidate.history.latest("history_id").history_type == "~"
