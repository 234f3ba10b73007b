"""The FOI register pages, as FOI officers and everyone else would use them."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from reporting import foi
from reporting.models import ClarificationPause, FoiRequest, FoiStatus, HolidayOverride
from schemes.models import Scheme
from schemes.services import set_up_user
from tests.factories import OrganisationFactory, PlacementFactory

D = datetime.date
TODAY = datetime.datetime(2025, 1, 15, 10, 0, tzinfo=datetime.UTC)
DEC_19 = D(2024, 12, 19)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def as_user(client, world):
    def sign_in(username):
        client.force_login(getattr(world, username))
        return client

    return sign_in


def make_request(organisation, reference="FOI-2024-2480", received_on=DEC_19, **fields):
    return FoiRequest.objects.create(
        reference=reference,
        received_on=received_on,
        questions="How many care leavers?",
        organisation=organisation,
        **fields,
    )


def request_form(**overrides):
    data = {
        "reference": "FOI-2024-2480",
        "received_on": "19/12/2024",
        "requester": "",
        "questions": "How many care leavers have you hired, by year, location and grade?",
        "scheme": "",
        "year_basis": "calendar",
        "first_year": "2019",
        "last_year": "2024",
    }
    data.update(overrides)
    return data


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/foi/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/foi/")


@pytest.mark.parametrize("username", ["ons_hr", "ons_manager", "dwp_hr", "dfe_scheme_admin"])
def test_staff_without_the_foi_role_are_refused(as_user, username, world):
    foi_request = make_request(world.ons)
    client = as_user(username)
    refused = client.get("/foi/")
    assert refused.status_code == 403
    assert "Only FOI officers can use the FOI register." in refused.content.decode()
    assert client.get("/foi/new/").status_code == 403
    assert client.get(f"/foi/{foi_request.pk}/").status_code == 403
    assert client.post(f"/foi/{foi_request.pk}/pack/").status_code == 403


@time_machine.travel(TODAY, tick=False)
def test_an_foi_officer_logs_a_request_and_sees_its_due_date(as_user, world):
    client = as_user("ons_foi")
    response = client.post("/foi/new/", request_form(organisation=world.ons.pk))
    foi_request = FoiRequest.objects.get(reference="FOI-2024-2480")
    assert response.status_code == 302
    assert response.url == f"/foi/{foi_request.pk}/"
    assert foi_request.organisation == world.ons
    assert foi_request.created_by == world.ons_foi
    page = client.get(response.url).content.decode()
    # Received Thu 19 Dec 2024: the 20th working day is Wed 22 Jan 2025 (see test_foi_dates.py).
    assert "Wednesday 22 January 2025" in page
    assert "FOI-2024-2480 is in the register." in page
    assert "£600 (24 hours at £25 an hour)" in page  # ONS is central government


@time_machine.travel(TODAY, tick=False)
def test_the_form_lists_problems_in_an_error_summary_and_saves_nothing(as_user, world):
    make_request(world.ons, reference="FOI-2024-0001")
    client = as_user("ons_foi")
    response = client.post(
        "/foi/new/",
        request_form(
            reference=" foi-2024-0001 ",
            received_on="31/02/2025",
            questions="",
            first_year="2024",
            last_year="2019",
            organisation=world.ons.pk,
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Log a new request" in page
    assert "There is a problem" in page
    assert 'href="#id_reference">A request with this FOI reference is already in the register' in page
    assert 'href="#id_received_on">Date received must be a real date, like 19/12/2024' in page
    assert 'href="#id_questions">Enter the questions the requester asked' in page
    assert 'href="#id_last_year">The last year must be the same as or after the first year' in page
    assert 'aria-describedby="id_received_on_helptext id_received_on_error"' in page
    assert FoiRequest.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_a_request_cannot_be_received_in_the_future(as_user, world):
    response = as_user("ons_foi").post("/foi/new/", request_form(received_on="16/01/2025", organisation=world.ons.pk))
    assert "The date received must be today or in the past" in response.content.decode()
    assert not FoiRequest.objects.exists()


def test_an_officer_can_only_log_requests_for_their_own_organisation(as_user, world):
    response = as_user("ons_foi").post("/foi/new/", request_form(organisation=world.dwp.pk))
    assert "Select a valid choice" in response.content.decode()
    assert not FoiRequest.objects.exists()


def test_only_the_schemes_owner_can_answer_for_the_whole_scheme(as_user, world):
    clis = Scheme.objects.get(code="CLIS")
    response = as_user("ons_foi").post(
        "/foi/new/", request_form(organisation=world.ons.pk, scheme=clis.pk, whole_scheme="on")
    )
    assert f"Only {clis.owner.name}, which runs CLIS, can answer for every organisation on it" in (
        response.content.decode()
    )
    assert not FoiRequest.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_a_request_for_years_before_those_published_is_refused(as_user, world):
    response = as_user("ons_foi").post("/foi/new/", request_form(organisation=world.ons.pk, first_year="1999"))
    assert 'href="#id_first_year">The first year must be between 2000 and 2026' in response.content.decode()
    assert not FoiRequest.objects.exists()


def test_logging_a_request_checks_its_rules_whichever_door_it_comes_by(world):
    """The service the page uses: a request that breaks a rule, or is logged for another organisation than the
    officer's, is refused with the field named, and nothing is saved."""
    clis = Scheme.objects.get(code="CLIS")
    whole_clis = FoiRequest(
        reference="FOI-2025-0001", received_on=DEC_19, questions="How many?", organisation=world.ons, scheme=clis
    )
    whole_clis.whole_scheme = True
    with pytest.raises(ValidationError) as refused:
        foi.log_request(whole_clis, by=world.ons_foi)
    assert refused.value.message_dict["whole_scheme"] == [
        f"Only {clis.owner.name}, which runs CLIS, can answer for every organisation on it"
    ]
    for_dwp = FoiRequest(reference="FOI-2025-0002", received_on=DEC_19, questions="How many?", organisation=world.dwp)
    with pytest.raises(ValidationError) as refused:
        foi.log_request(for_dwp, by=world.ons_foi)
    assert "organisation" in refused.value.message_dict
    assert not FoiRequest.objects.exists()
    logged = foi.log_request(
        FoiRequest(reference="FOI-2025-0003", received_on=DEC_19, questions="How many?", organisation=world.ons),
        by=world.ons_foi,
    )
    assert (logged.pk, logged.created_by) == (FoiRequest.objects.get().pk, world.ons_foi)
    with pytest.raises(ValidationError) as refused:
        foi.log_request(
            FoiRequest(reference="foi-2025-0003", received_on=DEC_19, questions="Again?", organisation=world.ons),
            by=world.ons_foi,
        )
    assert "reference" in refused.value.message_dict


def test_officers_see_only_their_organisations_requests(as_user, world):
    mine = make_request(world.ons, reference="FOI-ONS-1")
    theirs = make_request(world.dwp, reference="FOI-DWP-1")
    client = as_user("ons_foi")
    page = client.get("/foi/?show=all").content.decode()
    assert "FOI-ONS-1" in page
    assert "FOI-DWP-1" not in page
    assert client.get(f"/foi/{theirs.pk}/").status_code == 404
    assert client.get(f"/foi/{mine.pk}/").status_code == 200


def test_superusers_see_every_organisations_requests(as_user, world):
    make_request(world.ons, reference="FOI-ONS-1")
    make_request(world.dwp, reference="FOI-DWP-1")
    page = as_user("superuser").get("/foi/?show=all").content.decode()
    assert "FOI-ONS-1" in page
    assert "FOI-DWP-1" in page


@time_machine.travel(TODAY, tick=False)
def test_the_register_filters_due_soon_overdue_and_answered(as_user, world):
    # Today is Wed 15 Jan 2025. Received Thu 12 Dec 2024: 1 Fri 13; 2-6 Mon 16 - Fri 20; 7-8 Mon 23, Tue 24;
    # 9-11 Fri 27, Mon 30, Tue 31; 12 Fri 3 Jan; 13-17 Mon 6 - Fri 10; 18 Mon 13; 19 Tue 14; 20 Wed 15 Jan:
    # due today, so due soon. Received Fri 6 Dec: due days earlier, so overdue.
    make_request(world.ons, reference="DUE-TODAY", received_on=D(2024, 12, 12))
    make_request(world.ons, reference="LATE", received_on=D(2024, 12, 6))
    make_request(world.ons, reference="NEW", received_on=D(2025, 1, 14))
    make_request(world.ons, reference="DONE", received_on=D(2024, 11, 1), status=FoiStatus.ANSWERED)
    client = as_user("ons_foi")

    def listed(show):
        rows = client.get(f"/foi/?show={show}").context["table_rows"]
        return [row[0]["text"] for row in rows]

    assert listed("open") == ["LATE", "DUE-TODAY", "NEW"]  # by due date
    assert listed("due_soon") == ["DUE-TODAY"]
    assert listed("overdue") == ["LATE"]
    assert listed("answered") == ["DONE"]


@time_machine.travel(TODAY, tick=False)
def test_pausing_for_a_clarification_stops_the_clock_and_restarting_moves_the_date(as_user, world):
    foi_request = make_request(world.ons, received_on=D(2024, 12, 19))
    client = as_user("ons_foi")
    response = client.post(f"/foi/{foi_request.pk}/clarification/", {"asked_on": "20/12/2024", "note": "Which years?"})
    assert response.status_code == 302
    page = client.get(f"/foi/{foi_request.pk}/").content.decode()
    assert "Clock stopped: waiting for a clarification" in page
    foi_request.refresh_from_db()
    assert foi_request.status == FoiStatus.CLARIFICATION

    client.post(f"/foi/{foi_request.pk}/clarification/received/", {"answered_on": "06/01/2025"})
    # Day 1 Fri 20 Dec counted; the clock restarts after Mon 6 Jan: 2 Tue 7; 3-5 Wed 8 - Fri 10;
    # 6-10 Mon 13 - Fri 17; 11-15 Mon 20 - Fri 24; 16-20 Mon 27 - Fri 31 January.
    assert "Friday 31 January 2025" in client.get(f"/foi/{foi_request.pk}/").content.decode()
    assert ClarificationPause.objects.get(request=foi_request).answered_on == D(2025, 1, 6)


@time_machine.travel(TODAY, tick=False)
def test_a_clarification_received_before_it_was_asked_is_refused(as_user, world):
    foi_request = make_request(world.ons, received_on=D(2024, 12, 19))
    client = as_user("ons_foi")
    client.post(f"/foi/{foi_request.pk}/clarification/", {"asked_on": "06/01/2025"})
    response = client.post(f"/foi/{foi_request.pk}/clarification/received/", {"answered_on": "03/01/2025"})
    assert "The date must be on or after the day it was asked for, 06/01/2025" in response.content.decode()
    assert ClarificationPause.objects.get(request=foi_request).answered_on is None


@time_machine.travel(TODAY, tick=False)
def test_a_public_interest_extension_moves_the_due_date_and_is_capped_at_20_days(as_user, world):
    foi_request = make_request(world.ons, received_on=D(2024, 12, 19))
    client = as_user("ons_foi")
    client.post(f"/foi/{foi_request.pk}/extend/", {"days": "15", "reason": "Balancing the public interest"})
    # Wed 22 Jan + 15 working days: 1-2 Thu 23, Fri 24; 3-7 Mon 27 - Fri 31; 8-12 Mon 3 - Fri 7 Feb;
    # 13-15 Mon 10 - Wed 12 February.
    assert "Wednesday 12 February 2025" in client.get(f"/foi/{foi_request.pk}/").content.decode()
    response = client.post(f"/foi/{foi_request.pk}/extend/", {"days": "6", "reason": "More time"})
    assert "Enter 1 to 5 working days: at most 20 in all." in response.content.decode()
    foi_request.refresh_from_db()
    assert foi_request.extension_days == 15


@time_machine.travel(TODAY, tick=False)
def test_generate_download_and_record_the_pack_sent(as_user, world):
    for _ in range(6):
        PlacementFactory(started_on=D(2023, 9, 4))
    foi_request = make_request(world.ons, received_on=D(2024, 12, 19), first_year=2023, last_year=2024)
    client = as_user("ons_foi")
    assert client.get(f"/foi/{foi_request.pk}/pack/download/").status_code == 404

    response = client.post(f"/foi/{foi_request.pk}/pack/")
    assert response.status_code == 302
    foi_request.refresh_from_db()
    assert foi_request.status == FoiStatus.IN_PROGRESS
    download = client.get(f"/foi/{foi_request.pk}/pack/download/")
    assert download.status_code == 200
    assert 'filename="foi-2024-2480-pack.xlsx"' in download["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    cover_text = " ".join(str(cell.value) for row in workbook["Cover"].iter_rows() for cell in row if cell.value)
    assert "FOI-2024-2480" in cover_text
    by_year = {row[0]: row[1] for row in workbook["Table_1"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert by_year.get("2023") == 6

    response = client.post(
        f"/foi/{foi_request.pk}/answer/",
        {"answered_on": "14/01/2025", "sent_summary": "Response letter and the pack", "pack_sent": "on"},
    )
    assert response.status_code == 302
    foi_request.refresh_from_db()
    assert (foi_request.status, foi_request.answered_on, foi_request.pack_sent_on) == (
        FoiStatus.ANSWERED,
        D(2025, 1, 14),
        D(2025, 1, 14),
    )
    # Closed requests take no more actions.
    response = client.post(f"/foi/{foi_request.pk}/extend/", {"days": "5", "reason": "Late"})
    assert "FOI-2024-2480 is answered; reopen it first." in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_recording_a_pack_as_sent_needs_a_pack(as_user, world):
    foi_request = make_request(world.ons)
    response = as_user("ons_foi").post(
        f"/foi/{foi_request.pk}/answer/", {"answered_on": "14/01/2025", "sent_summary": "Letter", "pack_sent": "on"}
    )
    assert "Generate the pack before recording that it was sent." in response.content.decode()
    foi_request.refresh_from_db()
    assert foi_request.status == FoiStatus.RECEIVED


def test_withdrawing_takes_a_request_off_the_open_list(as_user, world):
    foi_request = make_request(world.ons)
    client = as_user("ons_foi")
    assert "This cannot be undone." in client.get(f"/foi/{foi_request.pk}/withdraw/").content.decode()
    foi_request.refresh_from_db()
    assert foi_request.status == FoiStatus.RECEIVED
    client.post(f"/foi/{foi_request.pk}/withdraw/")
    foi_request.refresh_from_db()
    assert foi_request.status == FoiStatus.WITHDRAWN
    assert client.get("/foi/?show=open").context["table_rows"] == []


def test_the_history_of_a_request_is_kept(as_user, world):
    foi_request = make_request(world.ons)
    as_user("ons_foi").post(f"/foi/{foi_request.pk}/withdraw/")
    assert [entry.status for entry in foi_request.history.order_by("history_date")] == ["received", "withdrawn"]


def test_home_lists_the_sections_the_role_may_use(as_user):
    page = as_user("ons_foi").get(reverse("home")).content.decode()
    assert 'href="/foi/">FOI requests</a>' in page
    hr_page = as_user("ons_hr").get(reverse("home")).content.decode()
    assert "FOI requests" not in hr_page
    assert "Records and reference data" in hr_page


def test_sign_in_and_sign_out_pages(client, world):
    page = client.get("/accounts/login/").content.decode()
    assert "govuk-generic-header" in page
    assert "Care leaver employment schemes" in page
    response = client.post("/accounts/login/", {"username": "ons_foi", "password": "wrong"})
    assert "Enter a correct username and password" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "ons_foi", "password": world.password})
    assert response.status_code == 302
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/logged-out/"
    assert "You have signed out" in response.content.decode()


def test_the_register_pages_through_many_requests(as_user, world):
    for number in range(30):
        make_request(world.ons, reference=f"FOI-2024-{number:04d}", received_on=D(2024, 11, 1))
    client = as_user("ons_foi")
    first = client.get("/foi/?show=all")
    assert len(first.context["table_rows"]) == 25
    assert 'href="?show=all&amp;page=2"' in first.content.decode()
    second = client.get("/foi/?show=all&page=2")
    assert len(second.context["table_rows"]) == 5
    shown = {row[0]["text"] for row in first.context["table_rows"] + second.context["table_rows"]}
    assert len(shown) == 30


def test_a_superuser_may_log_a_request_for_any_organisation(as_user, world):
    response = as_user("superuser").post("/foi/new/", request_form(organisation=world.dwp.pk))
    assert response.status_code == 302
    assert FoiRequest.objects.get().organisation == world.dwp


def test_the_owner_of_a_scheme_answers_for_the_whole_scheme(client, world):
    client.force_login(set_up_user("dfe_foi", "foi", ["DFE"], password=world.password))
    clis = Scheme.objects.get(code="CLIS")
    response = client.post("/foi/new/", request_form(organisation=world.dfe.pk, scheme=clis.pk, whole_scheme="on"))
    assert response.status_code == 302
    foi_request = FoiRequest.objects.get()
    assert foi_request.whole_scheme
    assert "CLIS, all organisations, 2019 to 2024 (calendar years)" in client.get(response.url).content.decode()


def test_administrators_keep_the_holiday_overrides_in_the_admin(as_user):
    client = as_user("superuser")
    response = client.post(
        "/admin/reporting/holidayoverride/add/", {"date": "2026-06-01", "name": "State occasion", "kind": "add"}
    )
    assert response.status_code == 302
    assert "State occasion" in client.get("/admin/reporting/holidayoverride/").content.decode()
    assert as_user("ons_foi").get("/admin/reporting/holidayoverride/").status_code == 403


def test_reading_a_holiday_overrides_history_does_not_let_a_reader_change_it(client, world):
    reader = set_up_user("calendar_reader", "manager", ["ONS"], password=world.password)
    reader.user_permissions.add(Permission.objects.get(codename="view_holidayoverride"))
    override = HolidayOverride.objects.create(date=D(2026, 6, 1), name="State occasion")
    version = override.history.get()
    url = reverse("admin:reporting_holidayoverride_simple_history", args=[override.pk, version.history_id])
    client.force_login(reader)
    assert client.get(url).status_code == 200
    response = client.post(url, {"date": "2026-06-02", "name": "Moved by a reader", "kind": "add"})
    assert response.status_code == 403
    override.refresh_from_db()
    assert (override.date, override.name) == (D(2026, 6, 1), "State occasion")


def test_the_cost_limit_is_lower_outside_central_government(world):
    council = OrganisationFactory(code="DERBY", name="Derby City Council", kind="council")
    assert make_request(council, reference="DCC-1").cost_limit_description() == "£450 (18 hours at £25 an hour)"
