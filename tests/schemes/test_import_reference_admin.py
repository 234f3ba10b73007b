"""The reference-data import in the admin: check first, then import, all or nothing, same messages."""

import re

from django.urls import reverse

from schemes.models import Organisation, Scheme

from .test_import_reference import DERBY_WORKBOOK, snapshot, workbook

URL = "admin:schemes_import_reference"


def text(response) -> str:
    """The page as a person reads it: tags removed, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def post(client, path, button):
    with path.open("rb") as handle:
        return client.post(reverse(URL), {"workbook": handle, button: button.title()}, follow=True)


def test_an_administrator_checks_then_imports_a_workbook(world, client, tmp_path):
    client.force_login(world.superuser)
    path = workbook(tmp_path / "ref.xlsx", DERBY_WORKBOOK)
    before = snapshot()

    checked = post(client, path, "check")
    assert "Checked, nothing saved yet. Organisations: 2 created" in text(checked)
    assert snapshot() == before

    imported = post(client, path, "import")
    assert "Reference data imported from ref.xlsx. Organisations: 2 created" in text(imported)
    assert "Import reference data" in text(imported)  # back on the Organisations list, with its button
    assert Scheme.objects.get(code="DCC-APP").owner == Organisation.objects.get(code="DCC")


def test_a_bad_workbook_lists_every_problem_and_saves_nothing(world, client, tmp_path):
    client.force_login(world.superuser)
    sheets = {name: [list(row) for row in rows] for name, rows in DERBY_WORKBOOK.items()}
    sheets["Targets"].append(["DCC", "DCC-APP", "2024-26", "pledge", 8])
    before = snapshot()
    page = post(client, workbook(tmp_path / "bad.xlsx", sheets), "import")
    assert "Nothing has been saved: 1 problem." in text(page)
    assert "Targets row 4, Period: 2024-26 is not a financial year; did you mean 2024-25?" in text(page)
    assert snapshot() == before


def test_hr_staff_cannot_import_reference_data(world, client):
    client.force_login(world.ons_hr)
    assert client.get(reverse(URL)).status_code == 403
