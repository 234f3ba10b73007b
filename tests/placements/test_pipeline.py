"""Offers waiting to start, the keep-in-touch list, the waits' percentiles and recording a contact, as a manager
would check them against their own records (clock pinned to 23 November 2026)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F

from placements.contacts import record_contact
from placements.models import Contact, Placement
from placements.pipeline import (
    DaysBetween,
    KeepInTouch,
    _percentiles_portable,
    _percentiles_postgresql,
    wait_statistics,
    waiting,
)
from schemes.models import Organisation, Scheme
from schemes.services import set_up_user
from tests.factories import OutcomeFactory, PlacementFactory

TODAY = datetime.date(2026, 11, 23)


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def offer(organisation, offered_days_ago: int, scheme="GFiE", **dates) -> Placement:
    return PlacementFactory(
        candidate__organisation=organisation,
        scheme=Scheme.objects.get(code=scheme),
        offered_on=days_ago(offered_days_ago),
        **{"started_on": None, **dates},
    )


def hire(organisation, waited: int, scheme="GFiE", started_days_ago: int = 30) -> Placement:
    started_on = days_ago(started_days_ago)
    return PlacementFactory(
        candidate__organisation=organisation,
        scheme=Scheme.objects.get(code=scheme),
        offered_on=started_on - datetime.timedelta(days=waited),
        started_on=started_on,
    )


def test_waiting_offers_have_their_stage_and_days_waited(world):
    offered = offer(world.ons, 100)
    in_checks = offer(world.ons, 60, clearance_requested_on=days_ago(50))
    cleared = offer(world.ons, 200, clearance_requested_on=days_ago(190), clearance_granted_on=days_ago(10))
    starting_soon = offer(world.ons, 30, started_on=TODAY + datetime.timedelta(days=10))
    hire(world.ons, waited=40)  # started: no longer waiting
    withdrawn = offer(world.ons, 90)
    OutcomeFactory(placement=withdrawn, code="withdrew", on=days_ago(5))
    offer(world.ons, -3)  # an offer dated after today is not yet one
    offer(world.dwp, 120)  # another organisation's

    rows = waiting(Placement.objects.for_user(world.ons_manager), TODAY)

    assert [(row.pk, row.status, row.days_waited) for row in rows] == [
        (cleared.pk, "cleared", 200),
        (offered.pk, "offered", 100),
        (in_checks.pk, "checks", 60),
        (starting_soon.pk, "offered", 30),
    ]


def test_the_keep_in_touch_list_honours_both_settings(world, settings):
    settings.KEEP_IN_TOUCH_WAITED_DAYS = 30
    settings.KEEP_IN_TOUCH_SILENT_DAYS = 14
    never_contacted = offer(world.ons, 31)
    offer(world.ons, 29)  # not waited long enough
    quiet = offer(world.ons, 60, last_contact_on=days_ago(15))
    offer(world.ons, 60, last_contact_on=days_ago(14))  # contacted 14 days ago: not yet due
    offer(world.dwp, 90)

    def due():
        placements = waiting(Placement.objects.for_user(world.ons_manager), TODAY)
        return set(KeepInTouch.from_settings().due(placements, TODAY).values_list("pk", flat=True))

    assert due() == {never_contacted.pk, quiet.pk}
    settings.KEEP_IN_TOUCH_WAITED_DAYS = 45
    assert due() == {quiet.pk}
    settings.KEEP_IN_TOUCH_SILENT_DAYS = 13
    assert due() == {quiet.pk, *Placement.objects.filter(last_contact_on=days_ago(14)).values_list("pk", flat=True)}


def figures_by_group(user, placements=None):
    figures = wait_statistics(user, placements or Placement.objects.all(), TODAY)
    codes = {scheme.pk: scheme.code for scheme in Scheme.objects.all()}
    organisations = dict(Organisation.objects.values_list("pk", "code"))
    return {
        (codes.get(f.scheme_id, "all"), organisations.get(f.organisation_id, "all")): (f.starts, f.median, f.ninetieth)
        for f in figures
    }


@pytest.fixture
def hires(world):
    for waited in (40, 10, 30, 20):
        hire(world.ons, waited)
    hire(world.ons, 100, scheme="CLIS")
    hire(world.dwp, 70)
    hire(world.dwp, 50)
    hire(world.ons, 5, started_days_ago=400)  # started more than a year ago: not counted
    offer(world.ons, 300)  # still waiting: not a wait from offer to start yet


def test_median_and_90th_percentile_waits_by_scheme_and_organisation(world, hires):
    figures = figures_by_group(world.ons_manager)

    # ONS on GFiE waited 10, 20, 30, 40 days: the median lies half-way between 20 and 30; the 90th percentile
    # at position 0.9 x 3 = 2.7 of the sorted waits, 0.7 of the way from 30 to 40.
    assert figures["GFiE", "ONS"] == (4, 25.0, 37.0)
    assert figures["CLIS", "ONS"] == (1, 100.0, 100.0)
    # ONS across schemes: 10, 20, 30, 40, 100; the 90th percentile at 0.9 x 4 = 3.6, from 40 to 100.
    assert figures["all", "ONS"] == (5, 30.0, 76.0)
    # GFiE across organisations counts DWP's hires too, which the ONS manager may not see: not shown. Every CLIS
    # hire is ONS's own, so that figure tells them nothing they cannot count.
    assert figures["GFiE", "all"] == (None, None, None)
    assert figures["CLIS", "all"] == (1, 100.0, 100.0)
    assert ("GFiE", "DWP") not in figures
    assert ("all", "DWP") not in figures


def test_across_organisations_the_figures_are_exact_where_every_hire_is_seen(world, hires):
    figures = figures_by_group(world.superuser)
    # Every GFiE hire: 10, 20, 30, 40, 50, 70; median between 30 and 40, 90th percentile at 4.5, from 50 to 70.
    assert figures["GFiE", "all"] == (6, 35.0, 60.0)
    assert figures["GFiE", "DWP"] == (2, 60.0, 68.0)

    scheme_admin = world.dfe_scheme_admin  # DfE runs CLIS, not GFiE
    figures = figures_by_group(scheme_admin)
    assert figures == {
        ("CLIS", "ONS"): (1, 100.0, 100.0),
        ("CLIS", "all"): (1, 100.0, 100.0),
        ("all", "ONS"): (None,) * 3,
    }


def test_filters_narrow_the_figures_before_they_are_counted(world, hires):
    ons_gfie = Placement.objects.filter(organisation=world.ons, scheme__code="GFiE")
    figures = figures_by_group(world.ons_manager, ons_gfie)
    assert figures == {
        ("GFiE", "ONS"): (4, 25.0, 37.0),
        ("GFiE", "all"): (4, 25.0, 37.0),
        ("all", "ONS"): (4, 25.0, 37.0),
    }


def test_recording_a_contact_updates_the_last_contact_and_is_in_the_history(world):
    placement = offer(world.ons, 80, last_contact_on=days_ago(40))

    contact = record_contact(world.ons_manager, placement, contacted_on=days_ago(2), method="phone", note="Still keen")

    placement.refresh_from_db()
    assert placement.last_contact_on == days_ago(2)
    assert contact.recorded_by == world.ons_manager
    assert list(Contact.history.values_list("history_type", "history_user__username", "note")) == [
        ("+", "ons_manager", "Still keen")
    ]
    assert list(placement.history.order_by("history_id").values_list("last_contact_on", "history_user")) == [
        (days_ago(40), None),  # as the factory made it
        (days_ago(2), world.ons_manager.pk),
    ]

    record_contact(world.ons_hr, placement, contacted_on=days_ago(20), method="letter")  # entered late
    placement.refresh_from_db()
    assert placement.last_contact_on == days_ago(2)
    assert placement.contacts.count() == 2


def test_another_organisation_cannot_record_a_contact_and_nothing_is_saved(world):
    placement = offer(world.ons, 80)
    clis_placement = offer(world.dwp, 80, scheme="CLIS")
    for user, target in (
        (world.dwp_hr, placement),
        (world.ons_foi, placement),
        (world.dfe_scheme_admin, clis_placement),  # runs CLIS, but DWP keeps in touch with its own people
    ):
        with pytest.raises(PermissionDenied):
            record_contact(user, target, contacted_on=days_ago(1), method="email")
    assert not Contact.objects.exists()
    assert not Contact.history.exists()
    assert Placement.objects.filter(last_contact_on__isnull=False).count() == 0


def test_a_contact_dated_after_today_is_refused_naming_the_date(world):
    placement = offer(world.ons, 80)
    with pytest.raises(ValidationError) as refused:
        record_contact(world.ons_manager, placement, contacted_on=TODAY + datetime.timedelta(days=1), method="phone")
    assert list(refused.value.message_dict) == ["contacted_on"]
    assert not Contact.objects.exists()
    placement.refresh_from_db()
    assert placement.last_contact_on is None


def test_a_unit_manager_records_contacts_for_the_unit_only(world):
    unit = Organisation.objects.create(code="ONS-DSC", name="Data Science Campus", kind="unit", parent=world.ons)
    unit_manager = set_up_user("dsc_manager", "manager", ["ONS-DSC"])
    record_contact(unit_manager, offer(unit, 40), contacted_on=days_ago(1), method="video")
    with pytest.raises(PermissionDenied):
        record_contact(unit_manager, offer(world.ons, 40), contacted_on=days_ago(1), method="video")
    record_contact(world.ons_manager, offer(unit, 50), contacted_on=days_ago(1), method="in_person")
    assert Contact.objects.count() == 2


def test_hr_add_a_contact_on_the_placement_s_admin_page_and_a_manager_reads_it(client, world):
    placement = offer(world.ons, 80)
    page = f"/admin/placements/placement/{placement.pk}/change/"
    client.force_login(world.ons_hr)
    response = client.post(
        page,
        {
            "candidate": placement.candidate_id,
            "organisation": placement.organisation_id,
            "scheme": placement.scheme_id,
            "location": placement.location_id,
            "grade": placement.grade_id,
            "offered_on": placement.offered_on,
            "outcomes-TOTAL_FORMS": 0,
            "outcomes-INITIAL_FORMS": 0,
            "contacts-TOTAL_FORMS": 1,
            "contacts-INITIAL_FORMS": 0,
            "contacts-0-contacted_on": days_ago(1),
            "contacts-0-method": "email",
            "contacts-0-note": "Sent the start pack",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.recorded_by, contact.note) == (world.ons_hr, "Sent the start pack")
    placement.refresh_from_db()
    assert placement.last_contact_on == days_ago(1)

    client.force_login(world.ons_manager)  # reads the placement's page, contacts included, changes nothing there
    assert "Sent the start pack" in client.get(page).content.decode()
    client.force_login(world.dwp_hr)
    assert client.get(page).status_code in {302, 404}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's own percentile_cont")
def test_the_portable_percentiles_agree_with_postgresql_s_percentile_cont(world):
    """The page uses percentile_cont on PostgreSQL and the window functions elsewhere (SQLite): both must give
    the same figures."""
    waits = [3, 7, 7, 12, 19, 25, 26, 40, 41, 58, 90, 91, 120, 200, 201, 265]
    for number, waited in enumerate(waits):
        hire(world.ons if number % 3 else world.dwp, waited, scheme="CLIS" if number % 2 else "GFiE")
    hires_waited = Placement.objects.annotate(wait=DaysBetween(F("started_on"), F("offered_on")))

    def rounded(rows):
        return sorted((s or 0, o or 0, n, round(float(m), 6), round(float(p), 6)) for s, o, n, m, p in rows)

    expected = rounded(_percentiles_postgresql(hires_waited))
    assert rounded(_percentiles_portable(hires_waited)) == expected
    assert len(expected) == 4 + 2 + 2  # each scheme at each organisation, each scheme, each organisation
