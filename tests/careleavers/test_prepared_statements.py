"""Statements every API request runs are prepared once per database connection on PostgreSQL (careleavers/db.py):
a client's token and pages keep working whatever happens to the connection and its transactions. The tests that
close connections and roll back for real run outside the test transaction (`committed_reference_data`)."""

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from careleavers.db import prepared
from schemes.services import new_token
from tests.factories import PlacementFactory

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")


def _pages_of(world):
    key = new_token(world.ons_hr)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return lambda: client.get("/api/v1/placements/")


def _prepared_on_the_server() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


@postgresql_only
def test_a_page_is_read_through_statements_prepared_once_on_the_connection(committed_reference_data, world):
    placement = PlacementFactory(candidate__organisation=world.ons)
    page = _pages_of(world)
    first = page()
    assert first.status_code == 200
    assert {"token_user", "placement_page_rows"} <= _prepared_on_the_server()
    assert (
        page().json()["results"]
        == first.json()["results"]
        == [{**first.json()["results"][0], "id": placement.pk, "candidate_reference": placement.candidate.reference}]
    )


@postgresql_only
def test_a_new_connection_prepares_them_again(committed_reference_data, world):
    PlacementFactory(candidate__organisation=world.ons)
    page = _pages_of(world)
    assert page().status_code == 200
    connection.close()  # as CONN_MAX_AGE, a restart of PostgreSQL or a broken connection would
    assert "token_user" not in _prepared_on_the_server()
    response = page()
    assert response.status_code == 200
    assert response.json()["count"] == 1


@postgresql_only
def test_a_rolled_back_transaction_leaves_the_prepared_statements_usable(committed_reference_data, world):
    PlacementFactory(candidate__organisation=world.ons)
    page = _pages_of(world)

    def prepare_then_fail():
        with transaction.atomic():
            sql = prepared(connection, "rolled_back_once", "SELECT %s + 1", 1)
            with connection.cursor() as cursor:
                cursor.execute(sql, [1])
            assert page().status_code == 200  # prepares the token and page statements inside this transaction
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        prepare_then_fail()
    with connection.cursor() as cursor:
        cursor.execute(prepared(connection, "rolled_back_once", "SELECT %s + 1", 1), [41])
        assert cursor.fetchone() == (42,)
    assert page().json()["count"] == 1


def test_other_databases_run_the_sql_as_it_is():
    class SQLite:
        vendor = "sqlite"

    assert prepared(SQLite(), "anything", "SELECT %s", 1) == "SELECT %s"


@postgresql_only
def test_a_connection_closed_after_each_request_prepares_nothing(db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert prepared(connection, "used_once", "SELECT %s", 1) == "SELECT %s"
    assert "used_once" not in _prepared_on_the_server()
