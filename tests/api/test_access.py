"""Who gets in: tokens (created on the command line, revocable in the admin), sessions, and the open schema."""

import io

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

REFERENCE = ["schemes", "organisations", "locations", "grades"]


@pytest.mark.parametrize(
    "endpoint", [*REFERENCE, "placements", "candidates", "outcomes", "stats/hires", "stats/outcomes"]
)
def test_anonymous_clients_get_nothing_but_the_schema(db, client, endpoint):
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_schema_is_open(world, client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/stats/hires/" in schema.json()["paths"]


def test_the_docs_page_loads_nothing_from_a_cdn(world, client):
    client.force_login(world.ons_hr)
    page = client.get("/api/v1/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    for outside in ("cdn.", "jsdelivr", "unpkg", "https://"):
        assert outside not in page


def test_a_token_from_create_user_opens_the_api_and_revoking_it_in_the_admin_closes_it(world, client):
    out = io.StringIO()
    call_command("create_user", "dfe-stats", role="api", organisations=["DFE"], stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    stats = {"scheme": "CLIS", "organisation": "ONS"}  # the default statistics level asks for both
    assert api.get("/api/v1/stats/hires/", stats).status_code == 200
    assert api.get("/api/v1/placements/").status_code == 403

    client.force_login(world.superuser)
    listing = client.get("/admin/authtoken/tokenproxy/")
    assert listing.status_code == 200
    assert "dfe-stats" in listing.content.decode()
    token = Token.objects.get(key=key)
    # The token admin addresses a token by its user (DRF's TokenProxy), so the key never appears in a URL.
    response = client.post(f"/admin/authtoken/tokenproxy/{token.user_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(key=key).exists()
    assert api.get("/api/v1/stats/hires/", stats).status_code == 401


def test_a_signed_in_member_of_staff_uses_the_api_with_their_session(world, client):
    client.force_login(world.ons_hr)
    assert client.get("/api/v1/placements/").status_code == 200


def test_reference_data_lists_codes_for_every_signed_in_client(world, as_user):
    client = as_user("ons_api")
    schemes = {item["code"]: item for item in client.get("/api/v1/schemes/").json()["results"]}
    assert schemes["CLIS"]["owner"] == "DFE"
    assert schemes["GFiE"]["owner"] == "CO"
    grades = {item["code"]: item for item in client.get("/api/v1/grades/", {"page_size": 100}).json()["results"]}
    assert "Officer" in grades["EO"]["aliases"]
    assert grades["AA"]["rank"] < grades["AO"]["rank"] < grades["EO"]["rank"]
    locations = client.get("/api/v1/locations/", {"region": "wales"}).json()["results"]
    assert {item["name"] for item in locations} >= {"Newport", "Cardiff"}
    organisations = client.get("/api/v1/organisations/", {"parent__code": "MOJ"}).json()["results"]
    assert [item["code"] for item in organisations] == ["HMPPS"]
    assert client.post("/api/v1/schemes/", {"code": "NEW"}).status_code == 405
