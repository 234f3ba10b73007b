"""`manage.py create_user` as docs/interfaces.md section 4 describes it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from tests.signing_in import authenticate


def run(*args, **env):
    from io import StringIO

    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_an_hr_user_can_sign_in_with_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-enough-password")
    run("alex", "--role", "hr", "--organisation", "ONS", "--email", "alex@ons.gov.uk")
    user = authenticate(username="alex", password="a-long-enough-password")
    assert user is not None
    assert user.is_staff
    assert [(m.organisation.code, m.role) for m in user.memberships.all()] == [("ONS", "hr")]
    assert user.groups.get().name == "Role: HR"


def test_an_api_user_gets_a_token_on_the_last_line_and_cannot_sign_in(db):
    lines = run("stats-bot", "--role", "api", "--organisation", "DFE")
    token = Token.objects.get(user__username="stats-bot")
    assert lines[-1] == token.key
    user = get_user_model().objects.get(username="stats-bot")
    assert not user.has_usable_password()
    assert not user.is_staff


def test_running_again_updates_role_and_organisations(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-enough-password")
    run("sam", "--role", "hr", "--organisation", "ONS")
    run("sam", "--role", "manager", "--organisation", "DWP", "--organisation", "HMRC")
    user = get_user_model().objects.get(username="sam")
    assert sorted((m.organisation.code, m.role) for m in user.memberships.all()) == [
        ("DWP", "manager"),
        ("HMRC", "manager"),
    ]


def test_token_flag_replaces_the_previous_token(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-enough-password")
    first = run("kim", "--role", "hr", "--organisation", "ONS", "--token")[-1]
    second = run("kim", "--role", "hr", "--organisation", "ONS", "--token")[-1]
    assert first != second
    assert list(Token.objects.filter(user__username="kim").values_list("key", flat=True)) == [second]


def test_an_unknown_organisation_is_refused_by_name(db):
    with pytest.raises(CommandError, match="Unknown organisation 'NOPE'"):
        run("x", "--role", "api", "--organisation", "NOPE")
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("a", "too short. It must contain at least 12 characters"),
        ("password", "too common"),
        ("Password1234", "too common"),
        ("alexandra-brown", "too similar to the username"),
        ("483920175620", "entirely numeric"),
    ],
)
def test_a_weak_password_is_refused_with_the_admins_reason_and_no_account_is_made(db, monkeypatch, password, reason):
    monkeypatch.setenv("NEW_USER_PASSWORD", password)
    with pytest.raises(CommandError, match=reason):
        run("alexandra-brown", "--role", "hr", "--organisation", "ONS")
    assert not get_user_model().objects.filter(username="alexandra-brown").exists()


def test_a_weak_new_password_leaves_an_existing_account_as_it_was(db, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-enough-password")
    run("sam", "--role", "hr", "--organisation", "ONS")
    monkeypatch.setenv("NEW_USER_PASSWORD", "sam")
    with pytest.raises(CommandError, match="too short"):
        run("sam", "--role", "manager", "--organisation", "DWP")
    assert authenticate(username="sam", password="a-long-enough-password") is not None
    assert [(m.organisation.code, m.role) for m in get_user_model().objects.get(username="sam").memberships.all()] == [
        ("ONS", "hr")
    ]
