"""The admin import's confirm step, played by an attacker: it imports only the file its own user checked.

Between the check and the confirmation the file waits in the database for that user (placements/uploads.py),
named on the page by a signed token; it is gone once imported, refused or too old (docs/decisions/0022).
"""

import datetime
import re
import tempfile

import pytest
import time_machine
from django.urls import reverse

from placements.models import HiresUpload, Placement
from placements.tasks import remove_abandoned_uploads
from schemes.models import Grade
from schemes.services import set_up_user

from .spreadsheets import write_csv, write_xlsx
from .test_import_admin import CSV_FORMAT, upload
from .test_import_placements import hire

CONFIRM_URL = "admin:placements_placement_process_import"
GONE = "That file is no longer waiting to be imported"


@pytest.fixture(autouse=True)
def own_temporary_folder(tmp_path, monkeypatch):
    """The server's temporary folder, empty, so a test sees anything written there."""
    folder = tmp_path / "server-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def token_of(preview) -> str:
    return preview.context["confirm_form"].initial["import_file_name"]


def confirm_with(client, token: str, **extra):
    return client.post(reverse(CONFIRM_URL), {"import_file_name": token, **extra}, follow=True)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def checked(world, client, tmp_path):
    """HR at ONS has checked a good file and sees its preview."""
    client.force_login(world.ons_hr)
    preview = upload(client, write_xlsx(tmp_path / "hires.xlsx", [hire("A"), hire("B")]))
    assert "Confirm import" in text(preview)
    return preview


def test_the_confirm_page_carries_one_signed_token_and_nothing_is_written_to_the_temporary_folder(
    checked, own_temporary_folder
):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', checked.content.decode()))
    assert set(hidden) == {"csrfmiddlewaretoken", "import_file_name"}
    assert "/" not in hidden["import_file_name"]
    assert "hires" not in hidden["import_file_name"]
    assert list(own_temporary_folder.iterdir()) == []
    assert HiresUpload.objects.count() == 1


def test_confirming_imports_the_checked_file_and_deletes_it_and_the_token_cannot_be_used_again(world, client, checked):
    token = token_of(checked)
    done = confirm_with(client, token)
    assert "Import finished. 2 rows read: 2 placements created" in text(done)
    assert not HiresUpload.objects.exists()

    again = confirm_with(client, token)

    assert GONE in text(again)
    assert again.redirect_chain[-1][0] == reverse("admin:placements_placement_import")
    assert Placement.objects.count() == 2


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "victim.csv", "{folder}/victim.csv"])
def test_a_path_in_place_of_the_token_reaches_no_file(world, client, checked, own_temporary_folder, path):
    victim = own_temporary_folder / "victim.csv"
    victim.write_text("Candidate reference\nX\n", encoding="utf-8")

    page = confirm_with(client, path.format(folder=own_temporary_folder))

    assert GONE in text(page)
    assert victim.exists()  # neither read nor deleted
    assert not Placement.objects.exists()


def test_a_forged_or_altered_token_is_refused(world, client, checked):
    token = token_of(checked)
    upload_id, timestamp, signature = token.split(":")
    forged = [
        f"{upload_id}:{timestamp}:{'A' * len(signature)}",  # a made-up signature
        f"{HiresUpload.objects.get().pk.hex[::-1]}:{timestamp}:{signature}",  # another id under the same signature
        upload_id,  # the id alone
    ]
    for token in forged:
        assert GONE in text(confirm_with(client, token))
    assert not Placement.objects.exists()
    assert HiresUpload.objects.count() == 1  # the user's own upload still waits for them


def test_another_users_token_is_refused_and_the_owner_can_still_import(world, client, checked):
    token = token_of(checked)
    other_hr = set_up_user("ons_hr_2", "hr", ["ONS"], password=world.password)
    client.force_login(other_hr)

    assert GONE in text(confirm_with(client, token))
    assert not Placement.objects.exists()

    client.force_login(world.ons_hr)
    assert "Import finished." in text(confirm_with(client, token))
    assert Placement.objects.count() == 2


def test_hidden_fields_added_to_the_confirmation_change_nothing(world, client, checked):
    """Format, resource and file name come from what was checked, not from the page: no 500 for any of them."""
    done = confirm_with(client, token_of(checked), format="99", resource="7", original_file_name="../x")
    assert "Import finished. 2 rows read: 2 placements created" in text(done)
    history = Placement.objects.first().history.get()
    assert history.history_change_reason == "Imported in the admin from hires.xlsx"


def test_a_refused_file_is_not_kept(world, client, tmp_path, own_temporary_folder):
    client.force_login(world.ons_hr)
    page = upload(client, write_csv(tmp_path / "bad.csv", [hire("A", Grade="Grade 9")]), CSV_FORMAT)
    assert "Nothing has been saved" in text(page)
    assert not HiresUpload.objects.exists()
    assert list(own_temporary_folder.iterdir()) == []


def test_a_file_refused_at_confirmation_is_deleted(world, client, checked):
    Grade.objects.filter(code="AO").update(aliases="", code="AO-RETIRED", name="Retired grade")
    done = confirm_with(client, token_of(checked))
    assert "Nothing was saved." in text(done)
    assert not HiresUpload.objects.exists()


def test_an_abandoned_file_cannot_be_confirmed_after_the_time_limit_and_is_deleted(world, client, tmp_path, settings):
    settings.IMPORT_CONFIRM_SECONDS = 30 * 60
    client.force_login(world.ons_hr)
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        preview = upload(client, write_xlsx(tmp_path / "hires.xlsx", [hire("A")]))
        clock.shift(datetime.timedelta(minutes=29))
        assert remove_abandoned_uploads() == 0  # still within its time
        clock.shift(datetime.timedelta(minutes=2))

        assert GONE in text(confirm_with(client, token_of(preview)))
        assert not Placement.objects.exists()
        assert remove_abandoned_uploads() == 1  # the beat task sweeps what nobody came back for
        assert not HiresUpload.objects.exists()


def test_a_new_check_sweeps_files_abandoned_by_anyone(world, client, tmp_path, settings):
    settings.IMPORT_CONFIRM_SECONDS = 60
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client.force_login(world.dfe_scheme_admin)
        upload(client, write_xlsx(tmp_path / "clis.xlsx", [hire("C", Scheme="CLIS")]))
        assert HiresUpload.objects.count() == 1
        clock.shift(datetime.timedelta(minutes=5))
        client.force_login(world.ons_hr)
        upload(client, write_xlsx(tmp_path / "hires.xlsx", [hire("A")]))
    assert list(HiresUpload.objects.values_list("user__username", flat=True)) == ["ons_hr"]


def test_the_confirm_step_answers_only_a_post_by_someone_who_may_import(world, client, checked):
    assert client.get(reverse(CONFIRM_URL)).status_code == 405
    client.force_login(world.ons_manager)
    assert client.post(reverse(CONFIRM_URL), {"import_file_name": token_of(checked)}).status_code == 403
    assert HiresUpload.objects.count() == 1


def test_beat_runs_the_sweep(settings):
    from careleavers.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["remove-abandoned-uploads"]
    assert app.tasks[entry["task"]].run is remove_abandoned_uploads.run
    assert entry["schedule"] <= settings.IMPORT_CONFIRM_SECONDS
