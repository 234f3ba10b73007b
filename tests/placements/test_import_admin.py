"""The admin's hires import: the same rules and messages as the command, shown before anything is saved."""

import datetime
import re

import pytest
from django.urls import reverse

from placements.models import Candidate, Outcome, Placement
from schemes.models import Grade

from .spreadsheets import write_csv, write_xlsx
from .test_import_placements import hire, offer

D = datetime.date

IMPORT_URL = "admin:placements_placement_import"
XLSX_FORMAT, CSV_FORMAT = "0", "1"  # positions in HiresImportMixin.import_formats


def counts():
    return Candidate.objects.count(), Placement.objects.count(), Outcome.objects.count()


def upload(client, path, format_index=XLSX_FORMAT):
    with path.open("rb") as handle:
        return client.post(reverse(IMPORT_URL), {"import_file": handle, "format": format_index, "resource": "0"})


def confirm(client, preview):
    """Press 'Confirm import' on a preview page, with the hidden fields it carries."""
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse("admin:placements_placement_process_import"), data, follow=True)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_hr_staff_see_a_preview_then_confirm_and_the_placements_are_saved(world, client, tmp_path):
    client.force_login(world.ons_hr)
    preview = upload(client, write_xlsx(tmp_path / "hires.xlsx", [hire("A"), offer("B")]))

    assert preview.status_code == 200
    assert "2 rows read: 2 placements created, 0 updated, 0 unchanged" in text(preview)
    assert counts() == (0, 0, 0)  # the preview saves nothing

    done = confirm(client, preview)

    assert "Import finished. 2 rows read: 2 placements created" in text(done)
    assert counts() == (2, 2, 1)
    placement = Placement.objects.get(candidate__reference="A")
    assert placement.history.get().history_user == world.ons_hr


def test_a_bad_file_shows_every_row_error_and_no_confirm_button(world, client, tmp_path):
    client.force_login(world.ons_hr)
    rows = [hire("A"), hire("B", **{"End date": "31/01/2023"}), hire("C", Grade="Grade 9"), hire("D")]
    page = upload(client, write_csv(tmp_path / "bad.csv", rows), CSV_FORMAT)

    body = text(page)
    assert "Nothing has been saved: 2 problems in 4 rows" in body
    assert "row 3, End date: 2023-01-31 is before the start date 2023-09-04" in body
    assert "row 4, Grade: &#x27;Grade 9&#x27; is not a known grade" in body
    assert "Confirm import" not in body
    assert counts() == (0, 0, 0)


def test_the_admin_refuses_what_the_command_refuses_with_the_same_words(world, client, tmp_path):
    from placements.importing import import_placements_file

    client.force_login(world.superuser)
    path = write_xlsx(tmp_path / "bad.xlsx", [hire("A", Outcome="Made permanent", **{"Start date": None})])
    command_problems = [str(problem) for problem in import_placements_file(path).errors]
    page = upload(client, path)
    assert command_problems
    assert [str(problem) for problem in page.context["result"].hires.errors] == command_problems
    invalid = page.context["result"].invalid_rows
    assert [(row.number, sorted(row.field_specific_errors)) for row in invalid] == [(2, ["Outcome"])]


def test_hr_staff_cannot_import_another_organisations_records(world, client, tmp_path):
    client.force_login(world.ons_hr)
    page = upload(client, write_xlsx(tmp_path / "dwp.xlsx", [hire("A", Organisation="DWP")]))
    assert "row 2, Organisation: you may not import records for DWP" in text(page)
    assert counts() == (0, 0, 0)


def test_managers_have_no_import(world, client):
    client.force_login(world.ons_manager)
    assert client.get(reverse(IMPORT_URL)).status_code == 403


def test_the_import_page_lists_the_headings_of_the_hires_spreadsheet(world, client):
    client.force_login(world.ons_hr)
    body = text(client.get(reverse(IMPORT_URL)))
    for heading in ("Candidate reference", "Offer date", "Destination organisation"):
        assert heading in body


def test_a_file_that_went_wrong_between_preview_and_confirm_is_refused_whole(world, client, tmp_path):
    client.force_login(world.ons_hr)
    preview = upload(client, write_xlsx(tmp_path / "hires.xlsx", [hire("A"), hire("B", Grade="HEO")]))
    assert "Confirm import" in text(preview)
    Grade.objects.filter(code="HEO").update(aliases="", code="HEO-RETIRED", name="Retired grade")

    done = confirm(client, preview)

    assert "Row 3, Grade: &#x27;HEO&#x27; is not a known grade" in text(done)  # the admin capitalises messages
    assert "Nothing was saved." in text(done)
    assert counts() == (0, 0, 0)


def test_row_numbers_in_the_admin_are_the_files_even_after_blank_lines(world, client, tmp_path):
    client.force_login(world.ons_hr)
    path = write_csv(tmp_path / "gaps.csv", [hire("A")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n\n")  # two blank lines: rows 3 and 4
    write_csv(tmp_path / "tail.csv", [hire("B", Grade="Nope")])
    path.write_text(path.read_text(encoding="utf-8-sig") + (tmp_path / "tail.csv").read_text().splitlines()[1] + "\n")

    page = upload(client, path, CSV_FORMAT)

    assert "row 5, Grade: &#x27;Nope&#x27; is not a known grade" in text(page)


@pytest.mark.parametrize(
    ("user", "sees_button"), [("ons_hr", True), ("dfe_scheme_admin", True), ("ons_manager", False)]
)
def test_the_placements_list_offers_the_import_to_those_who_may_import(world, client, user, sees_button):
    client.force_login(getattr(world, user))
    page = client.get(reverse("admin:placements_placement_changelist"))
    assert page.status_code == 200
    assert (reverse(IMPORT_URL) in page.content.decode()) is sees_button
