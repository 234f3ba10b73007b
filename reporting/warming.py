"""The dashboards' figures worked out again after records change, off the request path (docs/decisions/0087).

Any change of records replaces the records version (placements/caching.py), so every kept figure is stale and
the first viewer of each page would wait for its recount. Instead, the change schedules one Celery task
(`reporting.warm_dashboards`) a short delay after it commits; changes made before that task starts wait for the
same task (a flag added to the shared cache while one is scheduled). The task asks each page's figures, with
its default filters, through the pages' own builders, as one user of each different set of record-seeing
memberships (users with the same memberships see the same records, so their figures are the same entries),
and as one superuser: the same service functions and the same access rule as a page view, so the entries it
leaves are the ones the next viewer's request looks up. It reads the figures; it records no read and releases
nothing in anyone's name: all organisations' family is released first, by nobody, as the pages would.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from placements.access import RECORD_ROLES
from schemes.models import Membership

from .dashboard import national, parse_filters
from .dashboards import pipeline
from .dashboards.tables import MAY_USE
from .dashboards.tables import PAGES as BUILDERS
from .disclosure import DisclosureError

logger = logging.getLogger(__name__)

SCHEDULED = "dashboards:warming-scheduled"
PAGES = ("overview", "outcomes", "targets")


def schedule(**signal_kwargs) -> None:
    """Ask for a warming once the current transaction commits (receiver of `records_version_replaced`)."""
    if settings.DASHBOARD_WARMING:
        transaction.on_commit(_queue, robust=True)


def _queue() -> None:
    delay = settings.DASHBOARD_WARMING_DELAY_SECONDS
    # The flag outlives the delay a little, so a change just before the task starts still finds it set;
    # the task removes it as it starts, so a change made while it works schedules the next one.
    if cache.add(SCHEDULED, 1, timeout=delay + 60):
        current_app.tasks["reporting.warm_dashboards"].apply_async(countdown=delay)  # by name: tasks imports us


def viewers() -> list:
    """One active user for each different set of memberships with a role that sees records (HR, manager, scheme
    administrator), and one active superuser if there is one, ordered by id."""
    held = defaultdict(set)
    for user_id, organisation_id, role in Membership.objects.filter(
        role__in=RECORD_ROLES, user__is_active=True
    ).values_list("user_id", "organisation_id", "role"):
        held[user_id].add((organisation_id, role))
    first_of: dict[frozenset, int] = {}
    for user_id in sorted(held):
        first_of.setdefault(frozenset(held[user_id]), user_id)
    ids = set(first_of.values())
    users = get_user_model().objects.filter(is_active=True)
    superuser = users.filter(is_superuser=True).order_by("pk").values_list("pk", flat=True).first()
    if superuser is not None:
        ids.add(superuser)
    return list(users.filter(pk__in=ids).order_by("pk"))


def warm() -> int:
    """Work out every page's figures for each of `viewers()`; returns how many viewers were warmed. Records that
    change while all organisations' family is released make that release refuse (DisclosureError): logged, and
    the others still warmed; that change has scheduled the next warming already."""
    today = timezone.localdate()
    filters = parse_filters({}, today)
    national(filters)  # all organisations' family, the first of the quarter released by nobody
    warmed = 0
    for user in viewers():
        try:
            for name in PAGES:
                if MAY_USE[name](user):
                    BUILDERS[name](user, filters)
            if MAY_USE["pipeline"](user):
                pipeline.figures(user, pipeline.filterset_for({}), today)
        except DisclosureError:
            logger.warning("Warming the dashboards for user %s stopped: the records changed meanwhile", user.pk)
            continue
        warmed += 1
    return warmed
