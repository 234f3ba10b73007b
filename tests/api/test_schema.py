"""The OpenAPI contract: committed, up to date, and honoured by the running API under fuzzing (schemathesis)."""

import io
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzzing
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from schemes.choices import Role
from schemes.roles import group_name
from schemes.services import new_token
from tests.factories import OutcomeFactory, PlacementFactory


@pytest.fixture
def in_process_app():
    """The WSGI app, called inside the test's transaction: as Django's test client does, stop the start and
    end of each request from closing the test's database connection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield get_wsgi_application()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES_PER_OPERATION = 10
BROWSABLE_EXAMPLES_PER_OPERATION = 4


def test_the_committed_schema_is_what_the_code_generates():
    generated = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=generated)
    assert generated.getvalue() == SCHEMA_FILE.read_text(), "docs/openapi.yaml is out of date: run `make schema`"


CONTRACT = schemathesis.openapi.from_path(SCHEMA_FILE)
OPERATIONS = [result.ok() for result in CONTRACT.get_all_operations()]
JSON, BROWSABLE = "application/json", "text/html"


@pytest.fixture
def records_permission_without_membership(db):
    """Someone given the HR group by hand in the admin, but no organisation: every records permission, no records."""
    user = get_user_model().objects.create_user("hr-group-only", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name(Role.HR)))
    return user


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
@pytest.mark.parametrize(
    ("user", "accept"),
    [
        ("superuser", JSON),
        ("ons_hr", JSON),
        ("ons_manager", JSON),
        ("ons_api", JSON),
        ("records_permission_without_membership", JSON),
        # The browsable API renders forms with every reference and record a user may choose, for who may write.
        ("superuser", BROWSABLE),
        ("ons_hr", BROWSABLE),
        ("records_permission_without_membership", BROWSABLE),
    ],
)
def test_fuzzed_requests_get_no_server_error_and_answers_that_keep_to_the_schema(
    world, operation, user, accept, settings, in_process_app, request
):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    placement = PlacementFactory(candidate__organisation=world.ons)
    OutcomeFactory(placement=placement)
    PlacementFactory(candidate__organisation=world.ons, started_on=None)  # no outcome yet: latest_outcome is null
    client = getattr(world, user, None) or request.getfixturevalue(user)
    headers = {"Authorization": f"Token {new_token(client)}", "Accept": accept}
    # The schema describes the JSON API: its statuses and bodies. The browsable API is a page for people (DRF shows
    # a 204 there as 200, to have a page to show), which must only never fail.
    checks = [not_a_server_error]
    if accept == JSON:
        checks += [status_code_conformance, response_schema_conformance]
    statuses = []

    @given(case=operation.as_strategy())
    @fuzzing(
        max_examples=EXAMPLES_PER_OPERATION if accept == JSON else BROWSABLE_EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call(app=in_process_app, headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    call()
    if user == "superuser" and operation.method.upper() == "GET" and "{" not in operation.path:
        # The fuzzing reached the code behind the door (random ids, on the other hand, are rightly not found).
        assert any(200 <= status < 300 for status in statuses), statuses


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/docs/", "/api/v1/schema/"])
def test_the_pages_outside_the_schema_give_no_server_error_for_any_method_or_format(world, as_user, path):
    client = as_user("ons_hr")
    for method in ("get", "head", "options", "post", "delete"):
        for accept in (JSON, BROWSABLE, "application/xml"):
            response = getattr(client, method)(path, HTTP_ACCEPT=accept)
            assert response.status_code < 500, (method, accept, response.status_code)
