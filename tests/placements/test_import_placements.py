"""Importing a hires spreadsheet from the command line, as HR staff would check it (docs/interfaces.md section 1)."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from placements.choices import OutcomeCode
from placements.importing import import_placements_file
from placements.models import Candidate, Outcome, Placement
from tests.factories import PlacementFactory

from .spreadsheets import HEADINGS, write_csv, write_xlsx

D = datetime.date


def hire(reference="ONS-001", **overrides):
    """One ordinary GFiE hire at ONS Newport, started and made permanent."""
    row = {
        "Candidate reference": reference,
        "Date of birth": D(2003, 5, 17),
        "Scheme": "GFiE",
        "Organisation": "ONS",
        "Business unit": "Data Science Campus",
        "Location": "Newport",
        "Grade": "AO",
        "Offer date": D(2023, 6, 1),
        "Start date": D(2023, 9, 4),
        "Planned end date": D(2025, 9, 3),
        "End date": None,
        "Outcome": "Made permanent",
        "Outcome date": D(2024, 9, 4),
    }
    row.update(overrides)
    return row


def offer(reference="ONS-001", **overrides):
    """An offer awaiting a start: no start date and no outcome yet."""
    return hire(reference, Outcome=None, **{"Start date": None, "Planned end date": None, "Outcome date": None}) | (
        overrides
    )


def import_command(path, *options):
    out, err = StringIO(), StringIO()
    call_command("import_placements", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path, *options):
    """Run the command on a bad file; return its error output (the command must fail)."""
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_placements", str(path), *options, stdout=StringIO(), stderr=err)
    return err.getvalue()


def counts():
    return Candidate.objects.count(), Placement.objects.count(), Outcome.objects.count()


def test_a_good_file_creates_the_placements_candidates_and_outcomes_it_lists(world, tmp_path):
    path = write_xlsx(
        tmp_path / "hires.xlsx",
        [
            hire("ONS-001"),
            hire(
                "ONS-002", Location="Titchfield", Grade="EO", Outcome="Still in post", **{"Outcome date": "31/03/2024"}
            ),
            hire("ONS-003", Outcome=None, **{"Outcome date": None, "Start date": "2024-01-08"}),
        ],
    )
    out, _ = import_command(path)

    assert "3 rows read: 3 placements created, 0 updated, 0 unchanged" in out
    first = Placement.objects.get(candidate__reference="ONS-001")
    assert (first.organisation.code, first.scheme.code, first.location.name, first.grade.code) == (
        "ONS",
        "GFiE",
        "Newport",
        "AO",
    )
    assert (first.offered_on, first.started_on, first.planned_end_on) == (D(2023, 6, 1), D(2023, 9, 4), D(2025, 9, 3))
    assert first.business_unit == "Data Science Campus"
    assert first.candidate.date_of_birth == D(2003, 5, 17)
    assert (first.latest_outcome, first.latest_outcome_on) == (OutcomeCode.PERMANENT, D(2024, 9, 4))
    second = Placement.objects.get(candidate__reference="ONS-002")
    assert (second.location.name, second.grade.code, second.latest_outcome) == ("Titchfield", "EO", "in_post")
    assert second.latest_outcome_on == D(2024, 3, 31)
    third = Placement.objects.get(candidate__reference="ONS-003")
    assert third.started_on == D(2024, 1, 8)
    assert not third.outcomes.exists()


def test_imported_records_are_in_their_history_like_any_other_change(world, tmp_path):
    from django.forms.models import model_to_dict
    from django.utils import timezone

    before = timezone.now()
    import_command(write_xlsx(tmp_path / "hires.xlsx", [hire()]))
    placement = Placement.objects.get()
    created = placement.history.get()
    assert created.history_type == "+"
    assert created.history_change_reason == "Imported from hires.xlsx on the command line"
    assert before <= created.history_date <= timezone.now()
    tracked = [field.name for field in Placement.history.model.tracked_fields]
    assert model_to_dict(created.instance, fields=tracked) == model_to_dict(placement, fields=tracked)
    candidate = placement.candidate.history.get()
    assert (candidate.reference, candidate.date_of_birth, candidate.history_type) == ("ONS-001", D(2003, 5, 17), "+")
    outcome = placement.outcomes.get().history.get()
    assert (outcome.code, outcome.on, outcome.placement_id) == ("permanent", D(2024, 9, 4), placement.pk)


def test_importing_the_same_file_again_changes_nothing(world, tmp_path):
    path = write_xlsx(tmp_path / "hires.xlsx", [hire("ONS-001"), offer("ONS-002")])
    import_command(path)
    before = counts(), list(Placement.objects.values_list("updated_at", flat=True))
    history_before = Placement.history.count()

    out, _ = import_command(path)

    assert "2 rows read: 0 placements created, 0 updated, 2 unchanged" in out
    assert (counts(), list(Placement.objects.values_list("updated_at", flat=True))) == before
    assert Placement.history.count() == history_before


def test_a_later_row_with_the_offer_date_and_a_start_date_updates_the_offer(world, tmp_path):
    import_command(write_xlsx(tmp_path / "offers.xlsx", [offer("ONS-007")]))
    waiting = Placement.objects.get()
    assert waiting.started_on is None

    out, _ = import_command(write_xlsx(tmp_path / "starts.xlsx", [hire("ONS-007")]))

    assert "0 placements created, 1 updated" in out
    assert Placement.objects.get() == waiting
    waiting.refresh_from_db()
    assert waiting.started_on == D(2023, 9, 4)
    assert waiting.latest_outcome == OutcomeCode.PERMANENT


def test_a_changed_value_updates_the_placement_and_keeps_the_old_one_in_history(world, tmp_path):
    import_command(write_xlsx(tmp_path / "v1.xlsx", [hire(Location="Newport")]))
    out, _ = import_command(
        write_xlsx(tmp_path / "v2.xlsx", [hire(Location="Titchfield", **{"End date": "2025-01-31"})])
    )
    assert "0 placements created, 1 updated, 0 unchanged" in out
    placement = Placement.objects.get()
    assert (placement.location.name, placement.ended_on) == ("Titchfield", D(2025, 1, 31))
    assert [record.location.name for record in placement.history.order_by("history_id")] == ["Newport", "Titchfield"]


def test_headings_are_matched_whatever_their_case_spacing_or_punctuation(world, tmp_path):
    headings = ["candidate_reference", "SCHEME", "organisation ", "Location", "grade", "START DATE", "Offer-date"]
    path = write_csv(
        tmp_path / "loose.csv",
        [
            {
                "candidate_reference": "ONS-9",
                "SCHEME": "gfie",
                "organisation ": "ons",
                "Location": "newport",
                "grade": "ao",
                "START DATE": "04/09/2023",
                "Offer-date": "2023-06-01",
            }
        ],
        headings=headings,
    )
    import_command(path)
    placement = Placement.objects.get()
    assert (placement.candidate.reference, placement.started_on, placement.offered_on) == (
        "ONS-9",
        D(2023, 9, 4),
        D(2023, 6, 1),
    )


def test_unknown_columns_are_a_warning_and_ignored(world, tmp_path):
    headings = ["Candidate reference", "Scheme", "Organisation", "Location", "Grade", "Start date", "Line manager"]
    path = write_xlsx(tmp_path / "extra.xlsx", [{**hire(), "Line manager": "Pat"}], headings=headings)
    out, err = import_command(path)
    assert "Column 'Line manager' is not one the import knows; it was ignored." in err
    assert "1 placements created" in out


@pytest.mark.parametrize(
    ("column", "spelling", "expected"),
    [
        ("Grade", "Officer", "EO"),  # HMRC's name for EO
        ("Grade", "Administrative Officer", "AO"),
        ("Grade", "EA", "AO"),
        ("Grade", "Level 3", "L3"),
        ("Organisation", "Office for National Statistics", "ONS"),
        ("Organisation", "office for national statistics", "ONS"),
        ("Scheme", "Going Forward into Employment", "GFiE"),
    ],
)
def test_grades_organisations_and_schemes_are_understood_by_their_other_names(
    world, tmp_path, column, spelling, expected
):
    import_command(write_xlsx(tmp_path / "aliases.xlsx", [hire(**{column: spelling})]))
    placement = Placement.objects.get()
    found = {
        "Grade": placement.grade.code,
        "Organisation": placement.organisation.code,
        "Scheme": placement.scheme.code,
    }
    assert found[column] == expected


def test_outcomes_are_understood_by_label_or_code_in_any_case(world, tmp_path):
    rows = [
        hire("A", Outcome="made permanent"),
        hire("B", Outcome="TRANSFERRED", **{"Destination organisation": "Department for Work and Pensions"}),
        hire("C", Outcome="Withdrew before start", **{"Start date": None, "Planned end date": None}),
        hire("D", Outcome="Completed - moved into education, employment or training"),
    ]
    import_command(write_xlsx(tmp_path / "outcomes.xlsx", rows))
    latest = dict(Placement.objects.values_list("candidate__reference", "latest_outcome"))
    assert latest == {"A": "permanent", "B": "transferred", "C": "withdrew", "D": "completed_eet"}
    assert Outcome.objects.get(code="transferred").destination_organisation.code == "DWP"


def test_an_outcome_without_a_date_takes_the_end_date(world, tmp_path):
    row = hire(Outcome="Left early", **{"Outcome date": None, "End date": "2024-02-29"})
    import_command(write_xlsx(tmp_path / "left.xlsx", [row]))
    assert Outcome.objects.get().on == D(2024, 2, 29)


def test_an_outcome_with_neither_an_outcome_date_nor_an_end_date_is_refused(world, tmp_path):
    err = refused(write_xlsx(tmp_path / "nodate.xlsx", [hire(**{"Outcome date": None})]))
    assert "row 2, Outcome date: give the date of 'Made permanent' (the row has no end date)" in err
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"End date": "31/01/2023"}, "row 3, End date: 2023-01-31 is before the start date 2023-09-04"),
        ({"Grade": "Grade 9"}, "row 3, Grade: 'Grade 9' is not a known grade"),
        ({"Organisation": "Office for Nat Stats"}, "row 3, Organisation: 'Office for Nat Stats' is not a known"),
        ({"Location": "Atlantis"}, "row 3, Location: 'Atlantis' is not a known location"),
        ({"Scheme": "XYZ"}, "row 3, Scheme: 'XYZ' is not a known scheme"),
        ({"Start date": "31/02/2021", "Offer date": None}, "row 3, Start date: 31/02/2021 is not a real date"),
        ({"Start date": "next week"}, "row 3, Start date: 'next week' is not a date"),
        ({"Candidate reference": None}, "row 3, Candidate reference: is empty; every row needs it"),
        ({"Grade": None}, "row 3, Grade: is empty; every row needs it"),
        ({"Outcome": "Promoted"}, "row 3, Outcome: 'Promoted' is not a known outcome"),
        (
            {"Start date": None, "Planned end date": None},
            "row 3, Outcome: 'Made permanent' cannot be recorded for a placement that never started",
        ),
        ({"Outcome date": "2023-08-01"}, "row 3, Outcome date: 2023-08-01 is before the start date 2023-09-04"),
        ({"Offer date": "2023-10-01"}, "row 3, Start date: 2023-09-04 is before the offer date 2023-10-01"),
        ({"Planned end date": "2023-09-01"}, "row 3, Planned end date: 2023-09-01 is before the start date"),
        ({"Start date": None, "Offer date": None, "Outcome": None}, "row 3, Start date: a placement needs a start"),
        ({"Destination organisation": "DWP"}, "row 3, Destination organisation: a destination organisation is only"),
    ],
)
def test_a_file_with_one_bad_row_is_refused_whole_with_the_row_and_heading_named(world, tmp_path, overrides, expected):
    path = write_xlsx(tmp_path / "bad.xlsx", [hire("ONS-001"), hire("ONS-002", **overrides), hire("ONS-003")])
    err = refused(path)
    assert expected in err
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"Business unit": '=HYPERLINK("http://x")'},
            "row 2, Business unit: '=HYPERLINK(\"http://x\")' starts with '='",
        ),
        ({"Candidate reference": "@SUM(A1)"}, "row 2, Candidate reference: '@SUM(A1)' starts with '@'"),
        ({"Business unit": "+44 team"}, "row 2, Business unit: '+44 team' starts with '+'"),
        ({"Candidate reference": "-1+1"}, "row 2, Candidate reference: '-1+1' starts with '-'"),
    ],
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_refused_so_it_is_never_exported_as_one(
    world, tmp_path, overrides, expected
):
    err = refused(write_csv(tmp_path / "formula.csv", [hire("ONS-001", **overrides)]))
    assert expected in err
    assert "would run as a formula" in err
    assert counts() == (0, 0, 0)


def test_every_problem_in_the_file_is_reported_not_only_the_first(world, tmp_path):
    rows = [hire("A", Grade="Grade 9"), hire("B"), hire("C", Location="Atlantis", **{"End date": "2020-01-01"})]
    err = refused(write_csv(tmp_path / "bad.csv", rows))
    assert "row 2, Grade: 'Grade 9' is not a known grade" in err
    assert "row 4, Location: 'Atlantis' is not a known location" in err
    assert "row 4, End date: 2020-01-01 is before the start date 2023-09-04" in err


def test_an_unreadable_date_is_reported_alone_not_with_rules_judged_without_it(world, tmp_path):
    err = refused(write_xlsx(tmp_path / "feb.xlsx", [hire("A", **{"Start date": "31/02/2021", "Offer date": None})]))
    assert err.splitlines() == ["row 2, Start date: 31/02/2021 is not a real date"]


def test_a_missing_required_column_is_reported_against_the_headings_row(world, tmp_path):
    headings = ["Candidate reference", "Scheme", "Organisation", "Grade", "Start date"]
    err = refused(write_xlsx(tmp_path / "nolocation.xlsx", [hire()], headings=headings))
    assert "row 1, Location: this column is missing" in err


def test_a_refused_file_leaves_existing_records_exactly_as_they_were(world, tmp_path):
    import_command(write_xlsx(tmp_path / "v1.xlsx", [hire("ONS-001")]))
    before = counts(), Placement.history.count()
    err = refused(write_xlsx(tmp_path / "v2.xlsx", [hire("ONS-001", Location="Titchfield"), hire("X", Grade="Z")]))
    assert "row 3, Grade" in err
    assert (counts(), Placement.history.count()) == before
    assert Placement.objects.get().location.name == "Newport"


def test_dry_run_reports_what_would_happen_and_saves_nothing(world, tmp_path):
    out, _ = import_command(write_xlsx(tmp_path / "hires.xlsx", [hire("A"), hire("B")]), "--dry-run")
    assert "2 rows read: 2 placements created" in out
    assert "Dry run: nothing would be saved." in out
    assert counts() == (0, 0, 0)


def test_a_repeated_row_is_a_warning_and_counted_once(world, tmp_path):
    out, err = import_command(write_xlsx(tmp_path / "twice.xlsx", [hire("A"), hire("B"), hire("A")]))
    assert "Row 4 repeats row 2; it was counted once." in err
    assert "3 rows read: 2 placements created" in out
    assert Placement.objects.count() == 2


def test_two_rows_that_disagree_about_one_placement_are_refused(world, tmp_path):
    err = refused(write_xlsx(tmp_path / "clash.xlsx", [hire("A", Grade="AO"), hire("A", Grade="EO")]))
    assert "row 3, Grade: row 2 describes the same placement with a different grade ('AO', here 'EO')" in err


def test_empty_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(world, tmp_path):
    path = write_xlsx(tmp_path / "gaps.xlsx", [hire("A"), {}, hire("B", Grade="Nope")])
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem in 2 rows read"):
        call_command("import_placements", str(path), stdout=StringIO(), stderr=err)
    assert "row 4, Grade: 'Nope' is not a known grade" in err.getvalue()


def test_the_command_exits_non_zero_on_failure_and_zero_on_success(world, tmp_path, capsys, monkeypatch):
    """Run as `manage.py` runs it, so the exit status is the one a shell script would see."""
    from django.core.management import execute_from_command_line

    # manage.py closes every database connection when a command ends; the test's transaction needs its own.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)

    bad = write_csv(tmp_path / "bad.csv", [hire("A", Grade="Nope")])
    with pytest.raises(SystemExit) as exit_status:
        execute_from_command_line(["manage.py", "import_placements", str(bad)])
    assert exit_status.value.code != 0
    assert "row 2, Grade: 'Nope' is not a known grade" in capsys.readouterr().err

    good = write_csv(tmp_path / "good.csv", [hire("A")])
    execute_from_command_line(["manage.py", "import_placements", str(good)])  # returns: exit status 0
    assert "1 rows read: 1 placements created" in capsys.readouterr().out
    assert Placement.objects.count() == 1


def test_an_hr_user_may_import_only_their_own_organisations_records(world, tmp_path):
    path = write_xlsx(tmp_path / "mixed.xlsx", [hire("A"), hire("B", Organisation="DWP")])
    result = import_placements_file(path, user=world.ons_hr)
    assert [str(problem) for problem in result.errors] == ["row 3, Organisation: you may not import records for DWP"]
    assert counts() == (0, 0, 0)


def test_an_existing_candidate_is_reused_by_reference(world, tmp_path):
    existing = PlacementFactory(candidate__organisation=world.ons, candidate__reference="ONS-001")
    import_command(write_xlsx(tmp_path / "second.xlsx", [hire("ONS-001", Scheme="CLIS")]))
    assert Candidate.objects.filter(reference="ONS-001").count() == 1
    assert Placement.objects.filter(candidate=existing.candidate).count() == 2


def test_two_rows_giving_one_candidate_different_dates_of_birth_are_refused(world, tmp_path):
    rows = [hire("A"), hire("A", Scheme="CLIS", **{"Date of birth": D(2003, 5, 18)})]
    err = refused(write_xlsx(tmp_path / "dob.xlsx", rows))
    assert "row 3, Date of birth: row 2 gives 2003-05-17 for A" in err


def test_a_row_without_a_start_date_cannot_undo_a_recorded_start(world, tmp_path):
    import_command(write_xlsx(tmp_path / "started.xlsx", [hire("A")]))
    err = refused(write_xlsx(tmp_path / "old.xlsx", [offer("A")]))
    assert "row 2, Start date: the offer made on 2023-06-01 to A starts on 2023-09-04 in the records" in err
    assert Placement.objects.get().started_on == D(2023, 9, 4)


def test_an_empty_cell_clears_a_value_but_an_absent_column_leaves_it_alone(world, tmp_path):
    import_command(write_xlsx(tmp_path / "ended.xlsx", [hire("A", **{"End date": "2025-01-31"})]))
    without_end_column = [heading for heading in HEADINGS if heading != "End date"]
    out, _ = import_command(write_xlsx(tmp_path / "no-end.xlsx", [hire("A")], headings=without_end_column))
    assert "1 unchanged" in out
    assert Placement.objects.get().ended_on == D(2025, 1, 31)

    out, _ = import_command(write_xlsx(tmp_path / "cleared.xlsx", [hire("A", **{"End date": None})]))
    assert "1 updated" in out
    assert Placement.objects.get().ended_on is None


def test_a_corrected_transfer_destination_updates_the_outcome_rather_than_adding_one(world, tmp_path):
    transfer = {"Outcome": "Transferred to another department", "Outcome date": "2024-06-30"}
    import_command(write_xlsx(tmp_path / "v1.xlsx", [hire("A", **transfer, **{"Destination organisation": "DWP"})]))
    out, _ = import_command(
        write_xlsx(tmp_path / "v2.xlsx", [hire("A", **transfer, **{"Destination organisation": "HMRC"})])
    )
    assert "1 updated" in out
    assert [(o.code, o.destination_organisation.code) for o in Outcome.objects.all()] == [("transferred", "HMRC")]


def test_a_scheme_administrator_may_import_placements_on_the_scheme_their_organisation_owns(world, tmp_path):
    path = write_xlsx(tmp_path / "clis.xlsx", [hire("A", Scheme="CLIS", Organisation="DWP"), hire("B")])
    result = import_placements_file(path, user=world.dfe_scheme_admin)
    assert [str(problem) for problem in result.errors] == ["row 3, Organisation: you may not import records for ONS"]


@pytest.mark.parametrize(("name", "content"), [("hires.xlsx", b"not a workbook"), ("hires.txt", b"a,b\n")])
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_plain_message(world, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=r"hires\.(xlsx could not be read as an \.xlsx workbook|txt: only)"):
        call_command("import_placements", str(path), stdout=StringIO(), stderr=StringIO())


def test_a_csv_saved_by_excel_in_windows_1252_is_read(world, tmp_path):
    path = tmp_path / "excel.csv"
    rows = [",".join(HEADINGS[:9]), "ONS-É1,,GFiE,ONS,Café team,Newport,AO,01/06/2023,04/09/2023"]
    path.write_bytes("\r\n".join(rows).encode("cp1252"))
    import_command(path)
    placement = Placement.objects.get()
    assert (placement.candidate.reference, placement.business_unit) == ("ONS-É1", "Café team")


def test_records_changed_by_someone_else_during_the_import_mean_nothing_is_saved(world, tmp_path, monkeypatch):
    from placements import importing

    original_save = importing._HiresImport.save

    def someone_else_adds_the_candidate_first(self):
        Candidate.objects.create(organisation=world.ons, reference="B")
        original_save(self)

    monkeypatch.setattr(importing._HiresImport, "save", someone_else_adds_the_candidate_first)
    result = import_placements_file(write_xlsx(tmp_path / "race.xlsx", [hire("A"), hire("B")]))

    assert [problem.message for problem in result.errors] == [
        "some of these records were changed by someone else while the file was being imported; "
        "nothing was saved, import the file again"
    ]
    assert list(Candidate.objects.values_list("reference", flat=True)) == ["B"]  # only the other person's
    assert not Placement.objects.exists()


def test_the_number_of_queries_does_not_grow_with_the_number_of_rows(world, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(rows):
        Placement.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            result = import_placements_file(write_xlsx(tmp_path / f"{len(rows)}.xlsx", rows))
        assert result.ok
        return len(captured)

    few = queries_for([hire(f"F{n}") for n in range(3)])
    many = queries_for([hire(f"M{n}") for n in range(30)])  # within one SQLite insert batch (999 parameters)
    assert many == few


def test_on_the_command_line_user_names_the_importer_in_the_history_and_applies_their_access(world, tmp_path):
    path = write_xlsx(tmp_path / "mixed.xlsx", [hire("A"), hire("B", Organisation="DWP")])
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_placements", str(path), "--user", "ons_hr", stdout=StringIO(), stderr=err)
    assert "row 3, Organisation: you may not import records for DWP" in err.getvalue()

    import_command(write_xlsx(tmp_path / "ons.xlsx", [hire("A")]), "--user", "ons_hr")
    created = Placement.objects.get().history.get()
    assert created.history_user == world.ons_hr
    assert created.history_change_reason == "Imported from ons.xlsx on the command line"


def test_on_the_command_line_an_unknown_user_is_refused(world, tmp_path):
    with pytest.raises(CommandError, match="There is no active user 'nobody'"):
        call_command("import_placements", str(write_xlsx(tmp_path / "h.xlsx", [hire()])), "--user", "nobody")
    assert counts() == (0, 0, 0)
