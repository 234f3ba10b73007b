"""`manage.py seed_demo`: realistic demo data and one demo user per role, the same every time."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from rest_framework.authtoken.models import Token

from placements.demo import DEMO_PASSWORD
from placements.models import Candidate, Contact, Outcome, Placement
from schemes.models import Organisation, Scheme, Target
from tests.signing_in import authenticate

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True  # demo users are for local use only
    with time_machine.travel(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield seed


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--placements", "600", *args, stdout=out)
    return out.getvalue()


def fingerprint():
    return list(
        Placement.objects.order_by("candidate__reference").values_list(
            "candidate__reference", "scheme__code", "location__name", "offered_on", "started_on", "latest_outcome"
        )
    )


def test_demo_data_spans_the_schemes_sites_and_years_a_department_would_see(seeded):
    seeded()
    placements = Placement.objects.all()
    assert placements.count() == 600
    assert set(placements.values_list("scheme__code", flat=True)) == {"CLIS", "GFiE", "DCC-APPS"}
    assert {"Newport", "Titchfield", "Darlington Economic Campus"} <= set(
        placements.values_list("location__name", flat=True)
    )
    assert placements.values("organisation__parent", "organisation").distinct().count() >= 12
    years = set(placements.exclude(started_on=None).values_list("started_on__year", flat=True))
    assert years == set(range(2014, 2027))
    assert placements.exclude(business_unit="").count() == 600


def test_the_council_scheme_has_a_pledge_of_eight_a_year(seeded):
    seeded()
    council_scheme = Scheme.objects.get(code="DCC-APPS")
    assert (council_scheme.owner.name, council_scheme.owner.kind, council_scheme.kind) == (
        "Derby City Council",
        "council",
        "apprenticeship",
    )
    pledges = Target.objects.filter(scheme=council_scheme, kind="pledge")
    assert set(pledges.values_list("number", flat=True)) == {8}
    assert pledges.filter(period="2024").exists()
    assert Placement.objects.filter(scheme=council_scheme, grade__framework="apprenticeship").exists()


def test_outcomes_look_like_the_published_figures(seeded):
    seeded()
    a_year_in = Placement.objects.filter(scheme__code="CLIS", started_on__lte=datetime.date(2025, 6, 1))
    shares = a_year_in.aggregate(
        total=Count("pk"),
        permanent=Count("pk", filter=Q(latest_outcome="permanent")),
        transferred=Count("pk", filter=Q(latest_outcome="transferred")),
        failed=Count("pk", filter=Q(latest_outcome="probation_failed")),
        left=Count("pk", filter=Q(latest_outcome="left_early")),
    )
    assert 0.7 <= shares["permanent"] / shares["total"] <= 0.88
    assert min(shares["transferred"], shares["failed"], shares["left"]) > 0
    transfers = Placement.objects.filter(latest_outcome="transferred")
    assert not transfers.filter(outcomes__code="transferred", outcomes__destination_organisation=None).exists()


def test_some_offers_are_still_waiting_to_start_some_without_contact_for_months(seeded):
    seeded()
    waiting = Placement.objects.filter(started_on=None, offered_on__isnull=False).exclude(latest_outcome="withdrew")
    assert waiting.count() >= 20
    assert waiting.filter(last_contact_on__lt=TODAY - datetime.timedelta(days=90)).exists()
    assert waiting.filter(last_contact_on__gte=TODAY - datetime.timedelta(days=30)).exists()
    assert not Placement.objects.filter(started_on__gt=TODAY).exists()
    # The last contact of an offer waiting is a contact recorded (the pipeline page shows how it was made).
    contacted = waiting.exclude(last_contact_on=None)
    assert contacted.exists()
    assert not contacted.exclude(contacts__contacted_on=F("last_contact_on")).exists()
    assert not Contact.objects.filter(contacted_on__gt=TODAY).exists()


def test_every_demo_record_passes_the_models_own_validation(seeded):
    seeded()
    for placement in Placement.objects.select_related("candidate").order_by("pk")[::8]:
        placement.full_clean()
        for outcome in placement.outcomes.all():
            outcome.full_clean()


def test_running_it_twice_changes_nothing_and_the_same_seed_gives_the_same_data(seeded):
    seeded()
    first = fingerprint()
    output = seeded()
    assert "nothing added" in output
    assert fingerprint() == first
    seeded("--replace")
    assert fingerprint() == first
    seeded("--replace", "--seed", "7")
    assert fingerprint() != first


def test_it_prints_demo_users_who_can_sign_in_with_the_printed_password(seeded):
    output = seeded()
    assert DEMO_PASSWORD in output
    for username in ("demo-hr", "demo-manager", "demo-foi", "demo-scheme-admin", "admin"):
        assert username in output
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    assert authenticate(username="demo-api", password=DEMO_PASSWORD) is None
    assert Token.objects.get(user__username="demo-api").key in output
    hr = authenticate(username="demo-hr", password=DEMO_PASSWORD)
    assert set(Placement.objects.for_user(hr).values_list("organisation__code", flat=True)) == {"ONS", "ONS-DSC"}


def test_the_history_of_every_demo_record_names_the_demo_data_user_who_cannot_sign_in(seeded, client):
    seeded()
    council = Organisation.objects.get(code="DERBY")
    for history in (
        Candidate.history.all(),
        Placement.history.all(),
        Outcome.history.all(),
        Contact.history.all(),
        Target.history.all(),
        Organisation.history.filter(code__in=["DERBY", "ONS-DSC"]),
        Scheme.history.filter(code="DCC-APPS"),
    ):
        assert history.exists()
        assert set(history.values_list("history_user__username", flat=True)) == {"demo-data"}, history.model
    assert authenticate(username="demo-data", password="") is None
    assert authenticate(username="demo-data", password=DEMO_PASSWORD) is None

    client.force_login(get_user_model().objects.get(username="admin"))
    placement = Placement.objects.filter(organisation__code="ONS").first()
    page = client.get(f"/admin/placements/placement/{placement.pk}/history/").content.decode()
    assert "demo-data" in page
    assert "None" not in page.split('id="change-history"', 1)[-1]
    assert client.get(f"/admin/schemes/organisation/{council.pk}/history/").status_code == 200


def test_demo_users_are_not_created_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local use"):
        call_command("seed_demo", "--placements", "5", stdout=StringIO())
    call_command("seed_demo", "--placements", "5", "--no-users", stdout=StringIO())
    assert Placement.objects.count() == 5
    assert not authenticate(username="admin", password=DEMO_PASSWORD)
