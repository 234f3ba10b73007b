"""Finding one's way in: the API's root lists every endpoint, and the docs page tells a visitor how to get in."""

from rest_framework.test import APIClient

from schemes.services import new_token


def test_the_api_root_lists_records_reference_data_statistics_schema_and_docs(world, client):
    client.force_login(world.ons_hr)
    links = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    expected = ["schemes", "organisations", "locations", "grades", "candidates", "placements", "outcomes"]
    expected += ["stats/hires", "stats/outcomes", "schema", "docs"]
    assert list(links) == expected
    assert links["stats/hires"] == "http://testserver/api/v1/stats/hires/"
    assert links["schema"] == "http://testserver/api/v1/schema/"
    assert links["docs"] == "http://testserver/api/v1/docs/"
    for url in links.values():  # every link leads somewhere real
        assert client.get(url, {"scheme": "CLIS", "organisation": "ONS"}).status_code == 200, url


def test_an_anonymous_visitor_to_the_docs_is_shown_how_to_sign_in_or_use_a_token(db, client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="govuk-heading-l">Using the API</h1>' in page
    assert 'href="/accounts/login/?next=/api/v1/docs/"' in page
    assert "Authorization: Token" in page
    assert 'href="/api/v1/schema/"' in page
    assert "swagger-ui-bundle.js" not in page  # the documentation itself is for those signed in


def test_signing_in_from_there_leads_back_to_the_docs(world, client):
    response = client.post(
        "/accounts/login/?next=/api/v1/docs/",
        {"username": "ons_hr", "password": world.password, "next": "/api/v1/docs/"},
    )
    assert response.status_code == 302
    assert response.url == "/api/v1/docs/"
    assert "swagger-ui-bundle.js" in client.get(response.url).content.decode()


def test_a_client_sending_its_token_gets_the_docs(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_token(world.ons_api)}")
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    assert "swagger-ui-bundle.js" in response.content.decode()


def test_a_wrong_token_is_refused_as_everywhere_else(db):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/docs/").status_code == 401
