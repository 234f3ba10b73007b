"""The API's throttle keeps a history of constant size (careleavers/api_common.py) with DRF's guarantee."""

import uuid
from types import SimpleNamespace

import pytest

from careleavers.api_common import PerUserThrottle


@pytest.fixture
def throttle(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "3/min"}}
    clock = SimpleNamespace(now=1_000_000.0)
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=7))

    def ask() -> bool:
        check = PerUserThrottle()
        check.timer = lambda: clock.now
        allowed = check.allow_request(request, None)
        ask.wait = check.wait()
        return allowed

    ask.clock = clock
    return ask


def test_never_more_than_the_rate_in_any_window(throttle):
    assert [throttle() for _ in range(4)] == [True, True, True, False]
    assert 0 < throttle.wait <= 61
    throttle.clock.now += 59
    assert not throttle()  # a minute has not passed
    throttle.clock.now += 3  # past the end of the slice the first three fell in, plus a minute
    assert [throttle() for _ in range(4)] == [True, True, True, False]


def test_the_history_stays_small_however_many_requests(throttle, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "100000/hour"}}
    from django.core.cache import cache

    for _ in range(5000):
        throttle.clock.now += 1.3
        assert throttle()
    _width, history = cache.get("throttle-b_user_7")
    assert len(history) <= 61
