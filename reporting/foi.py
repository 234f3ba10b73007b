"""What FOI officers do to a request: each step checks it makes sense now, saves everything or nothing,
and moves the status on. Views, the admin and tests all go through these functions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from schemes.choices import Role
from schemes.models import Membership

from . import foi_dates
from .breakdowns import BreakdownError, Scope
from .disclosure import DisclosureError
from .models import (
    DUE_SOON_WORKING_DAYS,
    ClarificationPause,
    Deadline,
    FoiRequest,
    FoiStatus,
    HolidayOverride,
    ReleaseKind,
)
from .packs import build_pack


@dataclass(frozen=True)
class RegisterRow:
    request: FoiRequest
    deadline: Deadline


REGISTER_FILTERS = {
    "open": "Open",
    "due_soon": "Due soon",
    "overdue": "Overdue",
    "answered": "Answered",
    "all": "All",
}


def register(requests, which: str, today: datetime.date | None = None) -> list[RegisterRow]:
    """The register rows for one filter. Deadlines depend on the holiday calendar and the pauses, so they
    are worked out in Python, per request, after the database has narrowed the candidates down."""
    if which not in REGISTER_FILTERS:
        raise ValueError(f"Unknown register filter {which!r}: choose one of {', '.join(REGISTER_FILTERS)}.")
    today = today or timezone.localdate()
    calendar = HolidayOverride.objects.calendar()
    if which == "answered":
        requests = requests.filter(status=FoiStatus.ANSWERED)
    elif which == "open":
        requests = requests.open()
    elif which == "overdue":
        requests = requests.possibly_due_by(today - datetime.timedelta(days=1))
    elif which == "due_soon":
        horizon = foi_dates.due_date(today, working_days=DUE_SOON_WORKING_DAYS, calendar=calendar)
        requests = requests.possibly_due_by(horizon)
    rows = [
        RegisterRow(request, request.deadline(calendar, today))
        for request in requests.select_related("organisation", "scheme").prefetch_related("pauses")
    ]
    if which == "overdue":
        rows = [row for row in rows if row.deadline.is_overdue]
    elif which == "due_soon":
        rows = [row for row in rows if row.deadline.is_due_soon]
    if which in ("open", "due_soon", "overdue"):
        far_future = datetime.date.max
        rows.sort(key=lambda row: (row.deadline.due_on or far_future, row.request.reference))
    return rows


@transaction.atomic
def log_request(request: FoiRequest, *, by) -> FoiRequest:
    """Put a new request in the register as logged by `by`, an FOI officer of the answering organisation (or a
    superuser): checked by the request's own rules (`FoiRequest.clean`) and saved, whole or not at all."""
    if not by.is_superuser and request.organisation_id not in Membership.objects.organisation_ids(by, [Role.FOI]):
        raise ValidationError({"organisation": "Select an organisation you answer FOI requests for"})
    request.created_by = by
    request.full_clean()
    request.save()
    return request


def _require_open(request: FoiRequest) -> None:
    if not request.is_open:
        raise ValidationError(f"{request.reference} is {request.get_status_display().lower()}; reopen it first.")


@transaction.atomic
def ask_for_clarification(request: FoiRequest, asked_on: datetime.date, note: str = "") -> ClarificationPause:
    """Stop the clock: the working days until the requester replies do not count."""
    _require_open(request)
    if request.open_pause is not None:
        raise ValidationError({"asked_on": "This request is already waiting for a clarification."})
    if asked_on < request.received_on:
        received = f"{request.received_on:%d/%m/%Y}"
        raise ValidationError({"asked_on": f"The date must be on or after the date received, {received}."})
    last = request.pauses.order_by("-answered_on").values_list("answered_on", flat=True).first()
    if last and asked_on < last:
        raise ValidationError({"asked_on": f"The last clarification was received on {last:%d/%m/%Y}; ask after that."})
    pause = ClarificationPause.objects.create(request=request, asked_on=asked_on, note=note)
    request.status = FoiStatus.CLARIFICATION
    request.save(update_fields=["status"])
    return pause


@transaction.atomic
def clarification_received(request: FoiRequest, answered_on: datetime.date) -> ClarificationPause:
    """Restart the clock from the day after the requester's reply."""
    pause = request.open_pause
    if pause is None:
        raise ValidationError({"answered_on": "This request is not waiting for a clarification."})
    if answered_on < pause.asked_on:
        raise ValidationError(
            {"answered_on": f"The date must be on or after the day it was asked for, {pause.asked_on:%d/%m/%Y}."}
        )
    pause.answered_on = answered_on
    pause.save(update_fields=["answered_on"])
    request.status = FoiStatus.IN_PROGRESS
    request.save(update_fields=["status"])
    return pause


@transaction.atomic
def extend_for_public_interest(request: FoiRequest, days: int, reason: str) -> FoiRequest:
    """Add working days for considering the public interest (at most 20 in all, FOIA s.10(3))."""
    _require_open(request)
    limit = foi_dates.MAX_EXTENSION_WORKING_DAYS
    if days < 1 or request.extension_days + days > limit:
        raise ValidationError(
            {"days": f"Enter 1 to {limit - request.extension_days} working days: at most {limit} in all."}
        )
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the public interest test needs more time."})
    request.extension_days += days
    request.extension_reason = "\n".join(filter(None, [request.extension_reason, reason.strip()]))
    request.save(update_fields=["extension_days", "extension_reason"])
    return request


@transaction.atomic
def record_answer(request: FoiRequest, answered_on: datetime.date, sent_summary: str, *, pack_sent: bool) -> FoiRequest:
    """Close the request: what was sent, when, and whether the generated pack went with it."""
    _require_open(request)
    if request.open_pause is not None:
        raise ValidationError("Record the clarification received before answering.")
    if answered_on < request.received_on:
        raise ValidationError(
            {"answered_on": f"The date must be on or after the date received, {request.received_on:%d/%m/%Y}."}
        )
    if answered_on > timezone.localdate():
        raise ValidationError({"answered_on": "The date answered cannot be in the future."})
    if pack_sent and not request.pack:
        raise ValidationError({"pack_sent": "Generate the pack before recording that it was sent."})
    if not sent_summary.strip():
        raise ValidationError({"sent_summary": "Enter what was sent to the requester."})
    request.status = FoiStatus.ANSWERED
    request.answered_on = answered_on
    request.sent_summary = sent_summary.strip()
    request.pack_sent_on = answered_on if pack_sent else None
    request.save(update_fields=["status", "answered_on", "sent_summary", "pack_sent_on"])
    return request


@transaction.atomic
def withdraw(request: FoiRequest) -> FoiRequest:
    """The requester withdrew the request: it leaves the open list (any clarification stays on record)."""
    _require_open(request)
    request.status = FoiStatus.WITHDRAWN
    request.save(update_fields=["status"])
    return request


@dataclass(frozen=True)
class PackChecks:
    """What the latest pack of a request was checked against and what that hid, in words, for its officer."""

    checked_against: list[str]
    extra_hidden: list[dict]
    already_known: list[str]
    changed: list[str]


def pack_checks(request: FoiRequest) -> PackChecks | None:
    """The joint audit of the request's latest pack (decision 0071), or None before the first pack."""
    released = request.releases.filter(kind=ReleaseKind.PACK).order_by("-released_at", "-pk").first()
    if released is None:
        return None
    earlier = list(released.checked_against.select_related("scheme", "organisation").order_by("released_at"))
    changed = released.audit.get("changed_cells", {})
    return PackChecks(
        [release.describe() for release in earlier],
        released.audit.get("extra_hidden", []),
        released.audit.get("already_known", []),
        [
            f"{release.describe()}: {changed[str(release.pk)]} of its cells no longer match the records, which have "
            "been corrected since; those cells were left out of the check"
            for release in earlier
            if str(release.pk) in changed
        ],
    )


def scope_of(request: FoiRequest) -> Scope:
    """The statistics a request asks about: its scheme and years, in the answering organisation (or in every
    organisation, when the scheme's owner answers for the whole scheme)."""
    return Scope(
        scheme=request.scheme.code if request.scheme else None,
        organisation=None if request.whole_scheme else request.organisation.code,
        year_basis=request.year_basis,
        first_year=request.first_year,
        last_year=request.last_year,
    )


@transaction.atomic
def generate_pack(request: FoiRequest, *, by=None) -> FoiRequest:
    """Build the disclosure-controlled pack for the request's scope and keep it on the request (a new pack
    replaces the old one; both are in the release register, the new one audited together with the old).
    A pack that cannot be published safely is refused with the reason."""
    _require_open(request)
    try:
        content = build_pack(scope_of(request), reference=request.reference, by=by, foi_request=request)
    except (DisclosureError, BreakdownError) as error:
        raise ValidationError(f"The pack could not be produced: {error}") from error
    previous = request.pack.name if request.pack else ""
    request.pack.save(f"{slugify(request.reference) or 'foi-request'}-pack.xlsx", ContentFile(content), save=False)
    request.pack_generated_at = timezone.now()
    if request.status == FoiStatus.RECEIVED:
        request.status = FoiStatus.IN_PROGRESS
    request.save(update_fields=["pack", "pack_generated_at", "status"])
    if previous and previous != request.pack.name:
        storage = request.pack.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return request
