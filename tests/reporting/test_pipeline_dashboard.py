"""/dashboard/pipeline/ as managers, HR and a scheme administrator use it, and as someone from another
organisation would try to misuse it (clock pinned to 23 November 2026)."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from placements.caching import RECORDS_VERSION
from placements.models import Contact, Placement, RecordAccess
from schemes.models import Scheme
from tests.factories import PlacementFactory

TODAY = datetime.date(2026, 11, 23)
PIPELINE = "/dashboard/pipeline/"


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def offer(organisation, reference: str, offered_days_ago: int, scheme="GFiE", name="", **dates) -> Placement:
    return PlacementFactory(
        candidate__organisation=organisation,
        candidate__reference=reference,
        candidate__given_name=name,
        scheme=Scheme.objects.get(code=scheme),
        offered_on=days_ago(offered_days_ago),
        **{"started_on": None, **dates},
    )


@pytest.fixture
def offers(world):
    return {
        "ons": offer(world.ons, "ONS-WAIT-1", 95, name="Sam", clearance_requested_on=days_ago(80)),
        "ons_clis": offer(world.ons, "ONS-WAIT-2", 12, scheme="CLIS", name="Robin", last_contact_on=days_ago(3)),
        "dwp": offer(world.dwp, "DWP-WAIT-1", 150, name="Alex"),
        "dwp_clis": offer(world.dwp, "DWP-WAIT-2", 40, scheme="CLIS", name="Kai"),
    }


def page_for(client, user, query: str = ""):
    client.force_login(user)
    return client.get(PIPELINE + query)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_manager_sees_their_organisations_waiting_offers_by_reference_and_no_names(client, world, offers):
    response = page_for(client, world.ons_manager)
    assert response.status_code == 200
    page = text_of(response)
    assert "ONS-WAIT-1" in page
    assert "ONS-WAIT-2" in page
    assert "Pre-employment checks" in page
    assert " 95 " in page
    for name in ("Sam", "Robin"):
        assert name not in page
    assert "Name" not in list(response.context["tables"]["waiting"].columns)
    assert "DWP-WAIT" not in page
    # The manager may record a contact for each of their own offers.
    assert page.count("Record a contact for ONS-WAIT") == 3  # both in the list, the first in keep-in-touch too


def test_hr_see_their_people_s_names_as_the_access_rule_allows(client, world, offers):
    page = text_of(page_for(client, world.ons_hr))
    assert "Sam" in page
    assert "Robin" in page
    assert "Alex" not in page
    assert "DWP-WAIT" not in page


def test_another_organisation_s_offers_never_appear_whatever_the_filters(client, world, offers):
    for query in ("", "?organisation=DWP", "?scheme=CLIS", "?organisation=DWP&scheme=CLIS"):
        response = page_for(client, world.ons_manager, query)
        assert response.status_code == 200, query
        page = text_of(response)
        assert [word for word in ("DWP-WAIT", "Alex", "Kai") if word in page] == [], query
    assert "ONS-WAIT" not in text_of(page_for(client, world.ons_manager, "?organisation=DWP"))


def test_a_manager_cannot_record_a_contact_for_another_organisation_and_nothing_is_saved(client, world, offers):
    client.force_login(world.ons_manager)
    address = reverse("dashboard:pipeline_contact", args=[offers["dwp"].pk])
    assert client.get(address).status_code == 404
    response = client.post(address, {"contacted_on": "20/11/2026", "method": "phone", "note": "Hello"})
    assert response.status_code == 404
    assert not Contact.objects.exists()
    assert Placement.objects.get(pk=offers["dwp"].pk).last_contact_on is None


def test_a_scheme_administrator_watches_their_scheme_but_leaves_contacts_to_the_employer(client, world, offers):
    response = page_for(client, world.dfe_scheme_admin)
    page = text_of(response)
    assert "ONS-WAIT-2" in page
    assert "DWP-WAIT-2" in page
    assert "ONS-WAIT-1" not in page
    assert "DWP-WAIT-1" not in page
    assert "Robin" not in page
    assert "Kai" not in page
    assert "Record a contact for" not in page
    address = reverse("dashboard:pipeline_contact", args=[offers["dwp_clis"].pk])
    client.post(address, {"contacted_on": "20/11/2026", "method": "phone"})
    assert not Contact.objects.exists()


def test_people_who_work_with_no_records_are_refused(client, world):
    assert page_for(client, world.ons_foi).status_code == 403
    client.logout()
    assert client.get(PIPELINE).status_code == 302


def test_the_keep_in_touch_list_follows_the_settings(client, world, offers, settings):
    settings.KEEP_IN_TOUCH_WAITED_DAYS = 10
    settings.KEEP_IN_TOUCH_SILENT_DAYS = 2
    due = page_for(client, world.ons_manager).context["tables"]["keep_in_touch"]
    assert [row[0] for row in due.rows] == ["ONS-WAIT-1", "ONS-WAIT-2"]
    settings.KEEP_IN_TOUCH_SILENT_DAYS = 3  # ONS-WAIT-2 was contacted 3 days ago
    due = page_for(client, world.ons_manager).context["tables"]["keep_in_touch"]
    assert [row[0] for row in due.rows] == ["ONS-WAIT-1"]
    assert due.caption.endswith(": 1")


def test_an_unknown_filter_value_is_refused_naming_the_filter(client, world, offers):
    response = page_for(client, world.ons_manager, "?organisation=NOPE")
    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    assert "There is no organisation NOPE" in page
    assert 'href="#id_organisation"' in response.content.decode()
    assert "ONS-WAIT" not in page


def test_a_manager_records_a_contact_and_the_page_shows_it(client, world, offers):
    client.force_login(world.ons_manager)
    address = reverse("dashboard:pipeline_contact", args=[offers["ons"].pk])
    form = client.get(address + "?scheme=GFiE")
    assert form.status_code == 200
    assert "Sam" not in text_of(form)
    response = client.post(
        address + "?scheme=GFiE", {"contacted_on": "21/11/2026", "method": "phone", "note": "Clearance still pending"}
    )
    assert response.status_code == 302
    assert response.url == PIPELINE + "?scheme=GFiE"
    contact = Contact.objects.get()
    assert (contact.placement_id, contact.contacted_on, contact.method, contact.recorded_by) == (
        offers["ons"].pk,
        datetime.date(2026, 11, 21),
        "phone",
        world.ons_manager,
    )
    assert Contact.history.get().history_user == world.ons_manager
    page = client.get(response.url)
    waiting = page.context["tables"]["waiting"]
    assert waiting.rows[0][0] == "ONS-WAIT-1"
    assert waiting.rows[0][-1] == "21 Nov 2026 (phone call)"
    assert "Contact with ONS-WAIT-1 recorded." in text_of(page)
    assert "Clearance still pending" in text_of(client.get(address))


def test_a_contact_with_mistakes_is_refused_naming_each_field(client, world, offers):
    client.force_login(world.ons_manager)
    address = reverse("dashboard:pipeline_contact", args=[offers["ons"].pk])
    response = client.post(address, {"contacted_on": "", "method": ""})
    assert response.status_code == 400
    page = text_of(response)
    assert "Enter the date of contact" in page
    assert "Select how you were in touch" in page
    response = client.post(address, {"contacted_on": "30/11/2026", "method": "email"})
    assert response.status_code == 400
    assert "The date of contact must be today or in the past." in text_of(response)
    response = client.post(address, {"contacted_on": "20/11/2026", "method": "email", "note": "=HYPERLINK(1)"})
    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_recording_a_contact_needs_the_form_s_csrf_token(world, offers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.ons_manager)
    address = reverse("dashboard:pipeline_contact", args=[offers["ons"].pk])
    assert client.post(address, {"contacted_on": "20/11/2026", "method": "phone"}).status_code == 403
    assert not Contact.objects.exists()


def test_every_listing_is_recorded_as_a_read(client, world, offers):
    page_for(client, world.ons_manager)
    read = RecordAccess.objects.filter(user=world.ons_manager, how="dashboard")
    assert set(read.values_list("record_id", flat=True)) == {offers["ons"].pk, offers["ons_clis"].pk}


def test_the_page_s_queries_do_not_grow_with_the_data(client, world, offers):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert page_for(client, world.dfe_scheme_admin).status_code == 200
        return len(captured)

    client.force_login(world.dfe_scheme_admin)
    client.get(PIPELINE)  # sessions and cached reference data warmed up
    few = queries()
    for number in range(20):
        placement = offer(world.dwp, f"DWP-MORE-{number}", 30 + number, scheme="CLIS")
        Contact.objects.create(placement=placement, contacted_on=days_ago(1), method="phone", recorded_by=world.dwp_hr)
        PlacementFactory(
            candidate__organisation=world.ons,
            scheme=Scheme.objects.get(code="CLIS"),
            offered_on=days_ago(200),
            started_on=days_ago(number + 1),
        )
    assert queries() == few


def test_the_waits_table_hides_groups_with_records_the_user_cannot_see(client, world, offers):
    PlacementFactory(candidate__organisation=world.ons, offered_on=days_ago(100), started_on=days_ago(40))
    PlacementFactory(candidate__organisation=world.dwp, offered_on=days_ago(100), started_on=days_ago(30))
    table = page_for(client, world.ons_manager).context["tables"]["waits"]
    rows = {(row[0], row[1]): row[2:] for row in table.rows}
    assert rows[("GFiE", "ONS")] == [1, 60.0, 60.0]
    assert rows[("GFiE", "All organisations")] == ["Not shown"] * 3
    assert ("GFiE", "DWP") not in rows
    # Filtered to their own organisation, the scheme's figure counts only records they see, so it is shown.
    table = page_for(client, world.ons_manager, "?organisation=ONS").context["tables"]["waits"]
    rows = {(row[0], row[1]): row[2:] for row in table.rows}
    assert rows[("GFiE", "All of ONS (with its units)")] == [1, 60, 60]


def placement_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PIPELINE).status_code == 200
    return [query["sql"] for query in captured.captured_queries if "placements_placement" in query["sql"]]


def test_a_second_view_reads_no_placement_and_a_new_contact_or_change_shows_at_once(
    committed_reference_data, client, world, offers
):
    client.force_login(world.ons_manager)
    assert placement_queries(client)  # the first view counts
    assert placement_queries(client) == []  # the next finds every figure and row kept
    # A contact recorded on the day of the latest one changes no placement, but the list says how it was made.
    Contact.objects.create(
        placement=offers["ons_clis"], contacted_on=days_ago(3), method="email", recorded_by=world.ons_hr
    )
    rows = {row[0]: row for row in client.get(PIPELINE).context["tables"]["waiting"].rows}
    assert rows["ONS-WAIT-2"][-1] == f"{days_ago(3):%-d %b %Y} (email)"
    assert placement_queries(client) == []
    # A record changed: the offer that started is no longer waiting.
    offers["ons"].started_on = days_ago(1)
    offers["ons"].save()
    page = text_of(client.get(PIPELINE))
    assert "ONS-WAIT-1" not in page
    assert "Offers waiting to start: 1" in page


def test_kept_rows_are_shared_only_where_the_records_are_the_same_and_names_follow_each_user(
    committed_reference_data, client, world, offers
):
    assert "Sam" not in text_of(page_for(client, world.ons_manager))
    hr = text_of(page_for(client, world.ons_hr))  # the same records as the manager: the kept rows, with names
    assert "Sam" in hr
    assert "ONS-WAIT-1" in hr
    dwp = text_of(page_for(client, world.dwp_hr))
    assert "ONS-WAIT" not in dwp
    assert "DWP-WAIT-1" in dwp
    assert "Alex" in dwp
    assert "Sam" not in text_of(page_for(client, world.ons_manager))
    filtered = text_of(page_for(client, world.ons_manager, "?scheme=CLIS"))
    assert "ONS-WAIT-2" in filtered
    assert "ONS-WAIT-1" not in filtered


def test_a_contact_makes_stale_only_what_shows_contacts(committed_reference_data, client, world, offers):
    client.force_login(world.ons_manager)
    placement_queries(client)
    records = RECORDS_VERSION.token()
    # On the day of the latest contact (which the placement keeps): the list says how it was made.
    Contact.objects.create(
        placement=offers["ons_clis"], contacted_on=days_ago(3), method="email", recorded_by=world.ons_hr
    )
    # Statistics, counts and waits count no contact: they stay kept (and so do the statistics API's families).
    assert RECORDS_VERSION.token() == records
    again = placement_queries(client)
    assert again  # the lists that show the last contact are read again...
    assert all(Contact._meta.db_table in sql for sql in again)  # ...and nothing else
    rows = {row[0]: row for row in client.get(PIPELINE).context["tables"]["waiting"].rows}
    assert rows["ONS-WAIT-2"][-1] == f"{days_ago(3):%-d %b %Y} (email)"
