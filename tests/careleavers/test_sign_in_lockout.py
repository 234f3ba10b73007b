"""Sign-in lockout (docs/interfaces.md section 8): wrong passwords lock an account, or an address, for a while."""

import datetime
import re
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

SIGN_IN_PAGES = ["/accounts/login/", "/admin/login/"]
NINE_AM = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)  # 09:00 in London too (GMT)


def sign_in(client, page, username, password, address="192.0.2.10", **headers):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def text(response) -> str:
    """The page's words, without markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def locked_out(response) -> bool:
    return response.status_code == 429 and "Sign-in locked for 30 minutes" in text(response)


@pytest.fixture
def clock():
    with time_machine.travel(NINE_AM, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("page", SIGN_IN_PAGES)
def test_twelve_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(world, client, clock, page):
    answers = [sign_in(client, page, "ons_hr", f"wrong-{attempt}") for attempt in range(12)]

    assert not any(locked_out(answer) for answer in answers[:9])
    assert all(locked_out(answer) for answer in answers[9:])  # the tenth wrong password locks
    right = sign_in(client, page, "ons_hr", world.password)
    assert locked_out(right)
    assert not signed_in(client)
    assert "You can try again after 09:30 on 3 March 2025" in text(right)
    assert "ask your administrator" in text(right)


def test_nine_wrong_passwords_then_the_right_one_signs_in(world, client, clock):
    for attempt in range(9):
        sign_in(client, "/accounts/login/", "ons_hr", f"wrong-{attempt}")
    assert sign_in(client, "/accounts/login/", "ons_hr", world.password).status_code == 302
    assert signed_in(client)


def test_a_locked_account_leaves_other_accounts_at_the_same_address_alone(world, client, clock):
    for attempt in range(12):
        sign_in(client, "/accounts/login/", "ons_hr", f"wrong-{attempt}")

    assert sign_in(client, "/accounts/login/", "dwp_hr", world.password).status_code == 302
    assert signed_in(client)


def test_the_lock_is_for_the_account_wherever_the_attempts_come_from(world, client, clock):
    for attempt in range(10):
        sign_in(client, "/accounts/login/", "ons_hr", f"wrong-{attempt}", address=f"198.51.100.{attempt}")

    assert locked_out(sign_in(client, "/accounts/login/", "ons_hr", world.password, address="203.0.113.5"))


def test_the_lock_ends_after_thirty_minutes_without_attempts(world, client, clock):
    for attempt in range(12):
        sign_in(client, "/accounts/login/", "ons_hr", f"wrong-{attempt}")
    clock.shift(datetime.timedelta(minutes=29))
    early = sign_in(client, "/accounts/login/", "ons_hr", world.password)
    assert locked_out(early)
    assert "You can try again after 09:59" in text(early)  # an attempt while locked starts the wait again

    clock.shift(datetime.timedelta(minutes=31))

    assert sign_in(client, "/accounts/login/", "ons_hr", world.password).status_code == 302
    assert signed_in(client)


def test_many_failures_from_one_address_lock_that_address_for_every_account(world, client, clock, settings):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 15
    for attempt in range(15):  # three guesses at each of five accounts: no account reaches its limit
        sign_in(client, "/accounts/login/", f"guess-{attempt % 5}", "password")

    assert locked_out(sign_in(client, "/accounts/login/", "ons_hr", world.password))
    assert sign_in(client, "/accounts/login/", "ons_hr", world.password, address="203.0.113.5").status_code == 302


def test_a_forwarded_for_header_does_not_change_the_address_unless_a_proxy_is_configured(world, client, clock):
    for attempt in range(10):
        sign_in(client, "/accounts/login/", "ons_hr", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.10"}


def test_an_administrator_unlocks_an_account_in_the_admin(world, client, clock):
    for attempt in range(12):
        sign_in(client, "/accounts/login/", "ons_hr", f"wrong-{attempt}")
    client.force_login(world.superuser)
    attempts = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert attempts.status_code == 200
    assert "ons_hr" in text(attempts)
    attempt = AccessAttempt.objects.get(username="ons_hr")
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    client.logout()

    assert sign_in(client, "/accounts/login/", "ons_hr", world.password).status_code == 302


def test_hr_staff_cannot_see_or_clear_the_sign_in_attempts(world, client):
    client.force_login(world.ons_hr)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_an_administrator_unlocks_an_account_from_the_command_line(world, client, clock):
    for attempt in range(12):
        sign_in(client, "/accounts/login/", "ons_hr", f"wrong-{attempt}")
    call_command("axes_reset_username", "ons_hr", stdout=StringIO())

    assert sign_in(client, "/accounts/login/", "ons_hr", world.password).status_code == 302


def test_behind_a_configured_proxy_the_address_is_the_one_the_proxy_forwarded(world, client, clock, settings):
    """TRUSTED_PROXY_COUNT=1 (one load balancer of ours, which writes X-Forwarded-For): the address it saw is
    used; a client's own X-Forwarded-For entry in front of it is not believed."""
    import json
    import os
    import subprocess
    import sys

    configured = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.AXES_IPWARE_META_PRECEDENCE_ORDER, s.AXES_IPWARE_PROXY_COUNT]))",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "careleavers.settings", "TRUSTED_PROXY_COUNT": "1"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    order, count = json.loads(configured.stdout)
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_COUNT = tuple(order), count

    balancer = "10.0.0.2"
    sign_in(client, "/accounts/login/", "ons_hr", "wrong", address=balancer, HTTP_X_FORWARDED_FOR="198.51.100.7")
    spoofed = "1.2.3.4, 198.51.100.8"  # the client's own header, then the balancer's entry
    sign_in(client, "/accounts/login/", "dwp_hr", "wrong", address=balancer, HTTP_X_FORWARDED_FOR=spoofed)

    addresses = dict(AccessAttempt.objects.values_list("username", "ip_address"))
    assert addresses == {"ons_hr": "198.51.100.7", "dwp_hr": balancer}
