"""Sign-in lockout (docs/interfaces.md section 8), by django-axes, on the admin's sign-in page and the staff one.

axes counts failed passwords by account and by address (`AXES_LOCKOUT_PARAMETERS`) and compares the larger
count with one limit. Staff of a whole department may sign in from one address, so here an address has a
limit of its own, larger than an account's: `SignInFailureHandler` is axes' database handler with that one
change, the way axes' maintainers advise for two limits (docs/decisions/0024). `locked_out_response` is the
page a locked-out person sees: what happened and when to try again.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone


class SignInFailureHandler(AxesDatabaseHandler):
    """axes' database handler with a failure limit for an account (`AXES_FAILURE_LIMIT`) and a larger one for
    an address (`SIGN_IN_ADDRESS_FAILURE_LIMIT`)."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures that lock a sign-in: the account's; or, once its address has reached the address limit,
        the account limit itself (so the address is locked whatever the account)."""
        account, address = (
            attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0
            for attempts in self.get_user_attempts(request, credentials)  # in AXES_LOCKOUT_PARAMETERS' order
        )
        if address >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
            return max(account, settings.AXES_FAILURE_LIMIT)
        return account


def locked_out_response(request, response=None, credentials=None):
    """The GOV.UK page for a refused sign-in (429). Every attempt while locked out starts the wait again
    (axes' default), so the time to try again is the wait from now."""
    wait = get_cool_off(request)
    context = {"minutes": int(wait.total_seconds() // 60), "try_again_at": timezone.localtime() + wait}
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
