"""The import template (issue 12 item 4): downloaded from the import page, made for the user from the column
specification and the reference data, and, once filled in, imported back cleanly."""

import re
from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from placements.models import Placement

from .spreadsheets import HEADINGS
from .test_import_admin import confirm, upload

TEMPLATE_URL = "admin:placements_placement_import_template"


def download(client, user):
    client.force_login(user)
    response = client.get(reverse(TEMPLATE_URL))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="hires-import-template.xlsx"'
    return load_workbook(BytesIO(response.content))


def lists_of(book) -> dict[str, list[str]]:
    return {column[0].value: [cell.value for cell in column[1:] if cell.value] for column in book["Lists"].iter_cols()}


def test_the_import_page_offers_the_template(world, client):
    client.force_login(world.ons_hr)
    page = client.get(reverse("admin:placements_placement_import")).content.decode()
    assert f'href="{reverse(TEMPLATE_URL)}">Download a template</a>' in page


def test_the_template_has_the_headings_with_notes_an_example_and_the_users_own_lists(world, client):
    book = download(client, world.ons_hr)

    assert book.sheetnames == ["Hires", "Example", "Notes", "Lists"]
    hires = book["Hires"]
    assert [cell.value for cell in hires[1]] == HEADINGS
    assert hires["A1"].comment.text.startswith("Your organisation's own pseudonymous id")
    assert hires.max_row == 1  # nothing to import by mistake
    assert [row[0].value for row in book["Notes"].iter_rows(min_row=2, max_row=len(HEADINGS) + 1)] == HEADINGS
    lists = lists_of(book)
    assert lists["Organisations"] == ["ONS"]  # where ONS HR may file records
    assert {"ONS", "DWP", "DFE"} <= set(lists["Destinations"])  # a transfer may go anywhere
    assert {"CLIS", "GFiE"} <= set(lists["Schemes"])
    assert {"Newport", "Titchfield"} <= set(lists["Locations"])
    assert {"AO", "EO", "L3"} <= set(lists["Grades"])
    assert "Made permanent" in lists["Outcomes"]
    checks = {str(check.sqref).split(":")[0]: check for check in hires.data_validations.dataValidation}
    scheme = checks[f"{chr(65 + HEADINGS.index('Scheme'))}2"]
    assert (scheme.type, scheme.formula1) == ("list", f"=Lists!$A$2:$A${len(lists['Schemes']) + 1}")
    assert checks[f"{chr(65 + HEADINGS.index('Start date'))}2"].type == "date"
    assert checks["A2"].type == "textLength"


def test_another_organisations_hr_get_their_own_lists(world, client):
    assert lists_of(download(client, world.dwp_hr))["Organisations"] == ["DWP"]


def test_the_template_once_filled_in_imports_back_cleanly(world, client, tmp_path):
    book = download(client, world.ons_hr)
    example = [cell.value for cell in book["Example"][2]]
    hires = book["Hires"]
    hires.append(example)
    second = dict(zip(HEADINGS, example, strict=True)) | {"Candidate reference": "ONS-2024-018", "Outcome": None}
    hires.append([second[heading] if heading != "Outcome date" else None for heading in HEADINGS])
    path = tmp_path / "filled.xlsx"
    book.save(path)

    preview = upload(client, path)
    assert "2 rows read: 2 placements created, 0 updated, 0 unchanged" in re.sub(r"\s+", " ", preview.content.decode())
    confirm(client, preview)
    assert sorted(Placement.objects.values_list("candidate__reference", flat=True)) == ["ONS-2024-017", "ONS-2024-018"]
    assert Placement.objects.get(candidate__reference="ONS-2024-017").history.get().history_user == world.ons_hr


def test_only_people_who_may_import_get_a_template(world, client):
    client.force_login(world.ons_manager)
    assert client.get(reverse(TEMPLATE_URL)).status_code == 403
