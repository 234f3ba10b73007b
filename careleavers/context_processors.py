"""Template context every staff page needs: the sections of the service the user may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from reporting.dashboard import may_use_dashboards
from reporting.exports.models import visible_scopes


@dataclass(frozen=True)
class Section:
    label: str
    url: str
    description: str
    current: bool = False


def sections_for(user, path: str = "") -> list[Section]:
    """The parts of the service `user` may use, for the navigation and the home page. A section is listed
    only if the user holds the permission its pages check."""
    if not user.is_authenticated:
        return []
    candidates = [
        (
            may_use_dashboards(user),
            "Dashboard",
            reverse("dashboard:overview"),
            "Your hires, what happened to them, who is waiting to start, and progress against pledges and targets.",
        ),
        (
            user.has_perm("reporting.view_foirequest"),
            "FOI requests",
            reverse("foi:register"),
            "Log Freedom of Information requests, track their deadlines and produce the statistics pack.",
        ),
        (
            visible_scopes(user).any(),
            "Exports",
            reverse("exports:index"),
            "The FOI-ready pack, the pledge and target progress report and HR's records extract, on a schedule.",
        ),
        (
            user.is_staff,
            "Records and reference data",
            reverse("admin:index"),
            "Enter and import placements, outcomes and reference data.",
        ),
    ]
    return [
        Section(label, url, description, current=path.startswith(url))
        for allowed, label, url, description in candidates
        if allowed
    ]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {"navigation_sections": sections_for(user, request.path) if user else []}
