"""The FOI officers' pages (/foi/): the register, logging a request, each request's page and its actions.

Only signed-in users who hold the FOI register permissions (the `foi` role, or superusers) get in; everyone
else gets 403. Which requests they see is `FoiRequest.objects.for_user`. The work itself is in foi.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import foi
from .forms import (
    AnswerForm,
    ClarificationForm,
    ClarificationReceivedForm,
    ExtensionForm,
    FoiRequestForm,
    WithdrawForm,
)
from .models import FoiRequest, HolidayOverride

REGISTER_PAGE_SIZE = 25
STATUS_TAG_COLOURS = {"Overdue": "red", "Due soon": "orange", "Clock stopped": "yellow", "Closed": "grey"}


def foi_permission_required(permission: str):
    """Signed in (else to the sign-in page) and holding `permission` (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied("Only FOI officers can use the FOI register.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


can_view = foi_permission_required("reporting.view_foirequest")
can_add = foi_permission_required("reporting.add_foirequest")
can_change = foi_permission_required("reporting.change_foirequest")


def _get_request(request, pk: int) -> FoiRequest:
    """A request the user may see, or 404 (not 403: another organisation's references are not confirmed)."""
    return get_object_or_404(
        FoiRequest.objects.for_user(request.user).select_related("organisation", "scheme").prefetch_related("pauses"),
        pk=pk,
    )


def _register_table(rows: list[foi.RegisterRow]) -> list[list]:
    return [
        [
            {"text": row.request.reference, "href": reverse("foi:detail", args=[row.request.pk])},
            f"{row.request.received_on:%-d %b %Y}",
            f"{row.deadline.due_on:%-d %b %Y}" if row.deadline.due_on else "Clock stopped",
            row.request.get_status_display(),
            {"text": row.deadline.label, "tag": STATUS_TAG_COLOURS.get(row.deadline.label, "green")},
        ]
        for row in rows
    ]


@can_view
def register(request):
    which = request.GET.get("show", "open")
    if which not in foi.REGISTER_FILTERS:
        which = "open"
    rows = foi.register(FoiRequest.objects.for_user(request.user), which)
    page = Paginator(rows, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "foi/register.html",
        {
            "filters": foi.REGISTER_FILTERS,
            "which": which,
            "caption": f"{foi.REGISTER_FILTERS[which]} requests: {len(rows)}",
            "page_obj": page,
            "table_head": ["Reference", "Received", "Due", "Status", "Deadline"],
            "table_rows": _register_table(page.object_list),
            "can_add": request.user.has_perm("reporting.add_foirequest"),
        },
    )


@can_add
def new_request(request):
    form = FoiRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            foi_request = foi.log_request(form.save(commit=False), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{foi_request.reference} is in the register.")
            return redirect("foi:detail", pk=foi_request.pk)
    return render(request, "foi/new.html", {"form": form})


def _summary_rows(foi_request: FoiRequest, deadline, calendar) -> list[dict]:
    statutory = foi_request.due_on(calendar, with_extension=False)
    rows = [
        {"key": "Date received", "value": f"{foi_request.received_on:%-d %B %Y}"},
        {"key": "Status", "value": foi_request.get_status_display()},
        {
            "key": "Due",
            "value": f"{deadline.due_on:%A %-d %B %Y}"
            if deadline.due_on
            else "Clock stopped: waiting for a clarification",
        },
    ]
    if foi_request.extension_days:
        rows.append(
            {
                "key": "Public interest extension",
                "value": f"{foi_request.extension_days} working days (20th working day was {statutory:%-d %B %Y})\n"
                f"{foi_request.extension_reason}",
            }
        )
    for pause in foi_request.pauses.all():
        received = f"received {pause.answered_on:%-d %B %Y}" if pause.answered_on else "not yet received"
        rows.append({"key": "Clarification", "value": f"Asked {pause.asked_on:%-d %B %Y}, {received}\n{pause.note}"})
    rows += [
        {"key": "Requester", "value": foi_request.requester},
        {"key": "Questions", "value": foi_request.questions},
        {"key": "Organisation answering", "value": foi_request.organisation.name},
        {"key": "Scope", "value": foi_request.scope_description()},
        {"key": "Cost limit", "value": foi_request.cost_limit_description()},
    ]
    if foi_request.status == "answered":
        sent = foi_request.sent_summary
        if foi_request.pack_sent_on:
            sent += f"\nPack sent on {foi_request.pack_sent_on:%-d %B %Y}"
        rows += [
            {"key": "Date answered", "value": f"{foi_request.answered_on:%-d %B %Y}"},
            {"key": "What was sent", "value": sent},
        ]
    return rows


@can_view
def detail(request, pk: int):
    foi_request = _get_request(request, pk)
    calendar = HolidayOverride.objects.calendar()
    deadline = foi_request.deadline(calendar, timezone.localdate())
    return render(
        request,
        "foi/detail.html",
        {
            "foi_request": foi_request,
            "deadline": deadline,
            "deadline_colour": STATUS_TAG_COLOURS.get(deadline.label, "green"),
            "summary_rows": _summary_rows(foi_request, deadline, calendar),
            "can_change": request.user.has_perm("reporting.change_foirequest"),
            "pack_checks": foi.pack_checks(foi_request),
        },
    )


def _action(
    request, pk: int, form_class, act: Callable, *, title: str, button: str, done: str, intro="", warning=False
):
    """One step on a request, on its own page: a form, the service call, and back to the request."""
    foi_request = _get_request(request, pk)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            act(foi_request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done.format(reference=foi_request.reference))
            return redirect("foi:detail", pk=foi_request.pk)
    context = {"foi_request": foi_request, "form": form, "title": title, "button": button, "intro": intro}
    return render(request, "foi/action.html", {**context, "warning": warning})


@can_change
def ask_for_clarification(request, pk: int):
    return _action(
        request,
        pk,
        ClarificationForm,
        foi.ask_for_clarification,
        title="Ask for a clarification",
        button="Stop the clock",
        done="The clock for {reference} is stopped until the requester replies.",
    )


@can_change
def clarification_received(request, pk: int):
    return _action(
        request,
        pk,
        ClarificationReceivedForm,
        foi.clarification_received,
        title="Clarification received",
        button="Restart the clock",
        done="The clock for {reference} has restarted.",
    )


@can_change
def extend(request, pk: int):
    return _action(
        request,
        pk,
        ExtensionForm,
        foi.extend_for_public_interest,
        title="Extend for the public interest test",
        button="Extend the deadline",
        done="The deadline for {reference} is extended.",
    )


@can_change
def answer(request, pk: int):
    return _action(
        request,
        pk,
        AnswerForm,
        foi.record_answer,
        title="Record the answer",
        button="Record the answer",
        done="{reference} is answered.",
    )


def _post_and_return(request, pk: int, act: Callable, done: str):
    foi_request = _get_request(request, pk)
    try:
        act(foi_request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done.format(reference=foi_request.reference))
    return redirect("foi:detail", pk=foi_request.pk)


@can_change
def withdraw(request, pk: int):
    return _action(
        request,
        pk,
        WithdrawForm,
        foi.withdraw,
        title="Mark as withdrawn",
        button="Mark as withdrawn",
        done="{reference} is withdrawn.",
        intro="The request leaves the open list. This cannot be undone.",
        warning=True,
    )


@require_POST
@can_change
def generate_pack(request, pk: int):
    return _post_and_return(
        request,
        pk,
        lambda foi_request: foi.generate_pack(foi_request, by=request.user),
        "The pack for {reference} is ready to download.",
    )


@can_view
def download_pack(request, pk: int):
    foi_request = _get_request(request, pk)
    if not foi_request.pack:
        raise Http404("No pack has been generated for this request.")
    return FileResponse(
        foi_request.pack.open("rb"),
        as_attachment=True,
        filename=foi_request.pack.name.rsplit("/", 1)[-1],
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
