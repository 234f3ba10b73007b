"""/exports/ as its users see it: their own scope's schedules and runs, "run now" for those allowed, progress,
and downloads only through the access rule (with the read audit for records)."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse

from placements.audit import reads_of
from placements.models import RecordAccess
from reporting.exports import runs
from reporting.exports.models import ExportRun, ExportSchedule, RequestedVia
from reporting.exports.periods import Period
from reporting.models import FoiRequest
from schemes.models import Organisation, Scheme
from schemes.services import set_up_user
from tests.factories import PlacementFactory

NOW = datetime.datetime(2024, 10, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_user(client, world):
    def sign_in(username):
        client.force_login(getattr(world, username))
        return client

    return sign_in


def made(export, **scope):
    run, _ = runs.request_run(export, Period.parse("2024-09"), via=RequestedVia.COMMAND, queue=False, **scope)
    runs.execute_run(run.pk, token="test")
    run.refresh_from_db()
    return run


@pytest.fixture
def ons_pack(world):
    return made("foi_pack", organisation=world.ons)


@pytest.fixture
def dwp_pack(world):
    return made("foi_pack", organisation=world.dwp)


@pytest.fixture
def ons_extract(world):
    PlacementFactory.create_batch(3, candidate__organisation=world.ons)
    run, _ = runs.request_run(
        "records_extract", Period.parse("2024-09"), organisation=world.ons, user=world.ons_hr, queue=False
    )
    runs.execute_run(run.pk, token="test")
    run.refresh_from_db()
    return run


def test_signed_out_visitors_are_sent_to_sign_in(client, ons_pack):
    for url in (
        reverse("exports:index"),
        reverse("exports:run", args=[ons_pack.pk]),
        reverse("exports:progress", args=[ons_pack.pk]),
        reverse("exports:download", args=[ons_pack.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_each_user_sees_the_runs_of_their_own_scope(as_user, ons_pack, dwp_pack, ons_extract):
    page = as_user("ons_foi").get(reverse("exports:index")).content.decode()
    assert f'href="/exports/runs/{ons_pack.pk}/"' in page
    assert f'href="/exports/runs/{dwp_pack.pk}/"' not in page
    assert f'href="/exports/runs/{ons_extract.pk}/"' not in page  # FOI officers see no records
    page = as_user("ons_hr").get(reverse("exports:index")).content.decode()
    assert f'href="/exports/runs/{ons_extract.pk}/"' in page
    assert as_user("dwp_hr").get(reverse("exports:run", args=[ons_pack.pk])).status_code == 404
    assert as_user("dwp_hr").get(reverse("exports:download", args=[ons_extract.pk])).status_code == 404


def test_a_statistics_export_downloads_with_a_name_that_says_what_it_is(as_user, ons_pack):
    response = as_user("ons_manager").get(reverse("exports:download", args=[ons_pack.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="foi_pack-all-schemes-ONS-2024-09.xlsx"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"PK")
    assert not RecordAccess.objects.exists()  # no personal data in it


def test_a_records_extract_is_opened_only_by_someone_who_may_see_every_record_in_it_and_is_audited(
    as_user, world, ons_extract
):
    placements = list(ons_extract.records.values_list("placement_id", flat=True))
    response = as_user("ons_hr").get(reverse("exports:download", args=[ons_extract.pk]))
    assert response.status_code == 200
    assert RecordAccess.objects.filter(user=world.ons_hr, how="export").count() == 3
    (read,) = reads_of(world.ons_hr.record_accesses.first().record)
    assert read.path == f"/exports/runs/{ons_extract.pk}/download/"
    assert sorted(RecordAccess.objects.values_list("record_id", flat=True)) == sorted(placements)

    # A scheme administrator of DfE with an ONS membership as manager would see the run; but one record in it
    # now sits with DWP, whose records they may not see: the file is refused, and nothing is audited.
    moved = ons_extract.records.first().placement_id
    from placements.models import Placement

    Placement.objects.filter(pk=moved).update(organisation=world.dwp)
    response = as_user("ons_manager").get(reverse("exports:download", args=[ons_extract.pk]))
    assert response.status_code == 403
    assert not RecordAccess.objects.filter(user=world.ons_manager).exists()
    page = as_user("ons_manager").get(reverse("exports:run", args=[ons_extract.pk])).content.decode()
    assert "You cannot download this file: it lists records you may not see." in page


def tasks_queued(callbacks) -> list:
    """The Celery tasks among the callbacks run at commit (values kept in the cache are shared there too)."""
    return [callback for callback in callbacks if getattr(getattr(callback, "func", None), "__name__", "") == "delay"]


def test_run_now_is_for_those_allowed_and_asks_for_the_last_complete_period(
    as_user, world, django_capture_on_commit_callbacks
):
    schedule = ExportSchedule.objects.create(
        name="ONS FOI pack", export="foi_pack", organisation=world.ons, frequency="monthly"
    )
    url = reverse("exports:run_now", args=[schedule.pk])
    assert as_user("ons_manager").post(url).status_code == 404  # managers read, they do not run
    with django_capture_on_commit_callbacks() as queued:
        response = as_user("ons_foi").post(url)
    run = ExportRun.objects.get()
    assert response.url == reverse("exports:run", args=[run.pk])
    assert (run.period, run.requested_by, run.requested_via, run.schedule) == (
        "2024-09",
        world.ons_foi,
        "page",
        schedule,
    )
    assert len(tasks_queued(queued)) == 1
    with django_capture_on_commit_callbacks() as queued:
        as_user("ons_foi").post(url)  # a double click
    assert ExportRun.objects.count() == 1
    assert tasks_queued(queued) == []
    page = as_user("ons_foi").get(reverse("exports:index")).content.decode()
    assert 'Run now<span class="govuk-visually-hidden"> ONS FOI pack</span>' in page


def test_progress_is_read_from_the_run_record_and_says_what_happened_in_words(as_user, world, ons_pack):
    running, _ = runs.request_run("foi_pack", Period.parse("2024-08"), organisation=world.ons, queue=False)
    ExportRun.objects.filter(pk=running.pk).update(status="running", progress=40, progress_note="Writing rows.")
    body = as_user("ons_foi").get(reverse("exports:progress", args=[running.pk])).json()
    assert body == {
        "status": "running",
        "status_label": "Running",
        "message": "Running: 40% done. Writing rows.",
        "progress": 40,
        "finished": False,
        "download": None,
    }
    runs.fail(running, None, "The export took longer than 30 minutes and was stopped.")
    body = as_user("ons_foi").get(reverse("exports:progress", args=[running.pk])).json()
    assert body["message"] == "Failed: The export took longer than 30 minutes and was stopped."
    assert "Traceback" not in json.dumps(body)
    page = as_user("ons_foi").get(reverse("exports:run", args=[ons_pack.pk])).content.decode()
    assert 'role="status" aria-live="polite"' in page
    assert f'href="/exports/runs/{ons_pack.pk}/download/"' in page


def test_an_foi_officer_sets_up_a_schedule_for_their_organisation_only(as_user, world):
    colleague = set_up_user("ons_analyst", "manager", ["ONS"], email="analyst@ons.example.gov.uk")
    outsider = set_up_user("dwp_analyst", "manager", ["DWP"], email="analyst@dwp.example.gov.uk")
    client = as_user("ons_foi")
    form = client.get(reverse("exports:schedule_new")).content.decode()
    assert "analyst@ons.example.gov.uk" in form
    assert "analyst@dwp.example.gov.uk" not in form
    data = {"name": "ONS pack", "export": "foi_pack", "organisation": world.dwp.pk, "frequency": "monthly"}
    response = client.post(reverse("exports:schedule_new"), {**data, "enabled": "on"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # DWP is not theirs to choose
    response = client.post(
        reverse("exports:schedule_new"),
        {**data, "organisation": world.ons.pk, "recipients": [colleague.pk], "enabled": "on"},
    )
    assert response.status_code == 302
    schedule = ExportSchedule.objects.get(name="ONS pack")
    assert (schedule.owner, list(schedule.recipients.all())) == (world.ons_foi, [colleague])
    assert schedule.periodic_task.enabled
    response = client.post(
        reverse("exports:schedule_new"), {**data, "organisation": world.ons.pk, "recipients": [outsider.pk]}
    )
    assert "Select a valid choice" in response.content.decode()


def test_a_scheme_administrator_schedules_their_scheme_and_nobody_else_s(as_user, world):
    client = as_user("dfe_scheme_admin")
    clis, gfie = Scheme.objects.get(code="CLIS"), Scheme.objects.get(code="GFiE")
    data = {"name": "CLIS report", "export": "progress_report", "frequency": "quarterly", "enabled": "on"}
    assert client.post(reverse("exports:schedule_new"), {**data, "scheme": clis.pk}).status_code == 302
    response = client.post(reverse("exports:schedule_new"), {**data, "name": "GFiE report", "scheme": gfie.pk})
    assert "You may not schedule this export for this organisation and scheme" in response.content.decode()
    assert as_user("ons_manager").get(reverse("exports:schedule_new")).status_code == 403


def test_deleting_a_schedule_keeps_its_runs(as_user, world):
    schedule = ExportSchedule.objects.create(
        name="ONS FOI pack", export="foi_pack", organisation=world.ons, frequency="monthly"
    )
    run, _ = runs.request_run(
        "foi_pack", Period.parse("2024-09"), organisation=world.ons, schedule=schedule, via="schedule", queue=False
    )
    response = as_user("ons_foi").post(reverse("exports:schedule_delete", args=[schedule.pk]))
    assert response.status_code == 302
    assert not ExportSchedule.objects.filter(pk=schedule.pk).exists()
    run.refresh_from_db()
    assert run.requested_by_description() == "A schedule since deleted"


def test_the_foi_request_page_links_to_its_exports_and_the_menu_has_exports(as_user, world):
    request = FoiRequest.objects.create(
        reference="FOI-2024-1", received_on=datetime.date(2024, 9, 30), questions="How many?", organisation=world.ons
    )
    page = as_user("ons_foi").get(reverse("foi:detail", args=[request.pk])).content.decode()
    assert f'href="{reverse("exports:index")}?export=foi_pack&amp;organisation=ONS"' in page
    assert 'href="/exports/"' in page
    filtered = as_user("ons_foi").get(reverse("exports:index"), {"export": "foi_pack", "organisation": "ONS"})
    assert filtered.status_code == 200


def test_nobody_but_superusers_has_export_schedules_in_the_admin(as_user, world):
    assert as_user("ons_foi").get("/admin/reporting/exportschedule/").status_code == 403
    assert as_user("superuser").get("/admin/reporting/exportschedule/").status_code == 200


def test_export_files_are_not_under_any_public_url(settings, exports_root, ons_pack):
    assert not str(exports_root).startswith(str(settings.MEDIA_ROOT))
    assert not str(exports_root).startswith(str(settings.STATIC_ROOT))
    with pytest.raises(ValueError, match="no public URL"):
        runs.export_storage().url(ons_pack.file)


def test_a_scheme_admin_with_a_whole_scheme_pack_sees_it_and_others_do_not(as_user, world):
    whole = made("foi_pack", scheme=Scheme.objects.get(code="CLIS"))
    assert as_user("dfe_scheme_admin").get(reverse("exports:run", args=[whole.pk])).status_code == 200
    assert as_user("ons_foi").get(reverse("exports:run", args=[whole.pk])).status_code == 404
    assert Organisation.objects.get(code="DFE") == world.dfe
