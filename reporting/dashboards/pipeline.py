"""The pipeline dashboard (/dashboard/pipeline/): offers waiting to start, who is due a contact, how long waits
run; and recording a contact from it (docs/decisions/0085-waiting-offers-and-contacts.md).

The queries are placements/pipeline.py's and the rule placements/access.py's: the page lists the records the
user may see (Action.VIEW), shows a candidate's name only where Action.VIEW_PERSONAL allows it (never to a
manager), and offers "Record a contact" only where Action.RECORD_CONTACT does. Its filters are the statistics
API's `scheme` and `organisation` (with its units), read by the records' own FilterSet. Each table is built as
plain data (`Table`) first, so the same rows can be downloaded as well as shown: the page registers a builder
(`tables.register("pipeline")`) whose tables the dashboards' one download view writes as CSV or xlsx, holding
every waiting or due offer, not only the page shown.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page as DjangoPage
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from careleavers.forms import GovukFormMixin
from placements.access import Access, Action
from placements.audit import record_read, record_reads
from placements.choices import ContactMethod, PlacementStatus
from placements.contacts import record_contact
from placements.filtersets import PlacementFilterSet
from placements.models import Placement, RecordAccess
from placements.pipeline import (
    WAIT_STATISTICS_DAYS,
    KeepInTouch,
    WaitFigures,
    WaitingList,
    WaitingOffer,
    offer_rows,
    wait_statistics,
    waiting,
    with_names,
)
from reporting.dashboard import FilterError, Filters
from reporting.forms import GovukDateField
from schemes.models import Organisation, Scheme
from schemes.reference import snapshot

from .tables import Column, Page, register
from .tables import Table as DashboardTable
from .views import sections

FILTERS = ("scheme", "organisation")  # the statistics API's parameters, read by PlacementFilterSet
WAITING_PAGE_SIZE = 50
KEEP_IN_TOUCH_SHOWN = 100  # the longest waits first; the count says how many more
STAGE_LABELS = dict(PlacementStatus.choices)
METHOD_LABELS = dict(ContactMethod.choices)
NOT_SHOWN = "Not shown"
# The page's "About this data", and the Notes sheet of its xlsx downloads.
DEFINITIONS = {
    "Waiting to start": "Offered, and not started, ended or withdrawn. A start date still in the future counts as "
    "waiting until that day.",
    "Stage": "Offered; pre-employment checks (security clearance requested); cleared, awaiting start (clearance "
    "granted).",
    "Days waited": "Days from the offer date to today.",
    "Last contact": "The latest contact recorded, from this page, the admin or a hires spreadsheet.",
    "Median, 90th percentile": "Days from offer to start, interpolated between the two nearest hires as spreadsheet "
    "PERCENTILE.INC does.",
    NOT_SHOWN: "A name you may not see, or figures for a group that includes records you do not work with.",
}


@dataclass
class Table:
    """A table as plain data: the page renders it, a download writes it (`downloadable`). Cells are text or
    numbers; `links` holds, for a row that has one, where its "Record a contact" link goes; `records` the
    placements listed, whose download is a read of each."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    caption: str = ""
    numeric_columns: tuple[int, ...] = ()
    links: dict[int, str] = field(default_factory=dict)
    records: list[Placement] = field(default_factory=list)

    def rows_and_links(self) -> list[tuple[list, str | None]]:
        return [(row, self.links.get(index)) for index, row in enumerate(self.rows)]

    def downloadable(self) -> DashboardTable:
        """The same rows as the dashboards' table, which their download view writes as CSV or xlsx."""
        columns = tuple(
            Column(heading, numeric=index in self.numeric_columns) for index, heading in enumerate(self.columns)
        )
        return DashboardTable(
            self.slug,
            self.title,
            columns,
            tuple(tuple(row) for row in self.rows),
            notes=(self.caption,),
            source="Care leavers' placement records",
            records=tuple(self.records),
        )


def _day(value: datetime.date | None) -> str:
    return f"{value:%-d %b %Y}" if value else "None recorded"


def _filters(request) -> tuple[PlacementFilterSet, str]:
    """The records' FilterSet over the page's filters, and the filters as a query string to carry along."""
    data = {name: request.GET[name] for name in FILTERS if request.GET.get(name)}
    filterset = filterset_for(data)
    form = filterset.form
    for name, empty in (("scheme", "All schemes"), ("organisation", "All organisations")):
        form.fields[name].empty_label = empty
        form.fields[name].widget.attrs["class"] = "govuk-select"
        form.fields[name].error_messages["invalid_choice"] = f"There is no {name} %(value)s: choose one from the list"
    form.fields["scheme"].queryset = Scheme.objects.order_by("code")
    form.fields["organisation"].queryset = Organisation.objects.order_by("code")
    return filterset, urlencode(data)


def _waiting_table(
    slug: str, title: str, caption: str, offers: list[WaitingOffer], access: Access, query: str
) -> Table:
    # A name column only for those who may see some names; each row still asks the rule for its own record.
    names = access.everything or bool(access.holder_ids(Action.VIEW_PERSONAL) or access.owner_ids(Action.VIEW_PERSONAL))
    columns = ["Candidate reference", *(["Name"] if names else [])]
    columns += ["Organisation", "Scheme", "Stage", "Offered", "Days waited", "Last contact"]
    table = Table(slug, title, columns, caption=caption, numeric_columns=(columns.index("Days waited"),))
    for index, offer in enumerate(offers):
        table.records.append(Placement(pk=offer.pk))
        row = [offer.reference]
        if names:
            personal = access.allows_ids(Action.VIEW_PERSONAL, offer.organisation_id, offer.scheme_owner_id)
            row.append(offer.name if personal and offer.name is not None else NOT_SHOWN)
        last = _day(offer.last_contact_on)
        if offer.last_contact_method:
            last += f" ({METHOD_LABELS[offer.last_contact_method].lower()})"
        row += [offer.organisation, offer.scheme, STAGE_LABELS[offer.status], _day(offer.offered_on), offer.days_waited]
        row.append(last)
        table.rows.append(row)
        if access.allows_ids(Action.RECORD_CONTACT, offer.organisation_id, offer.scheme_owner_id):
            address = reverse("dashboard:pipeline_contact", args=[offer.pk])
            table.links[index] = f"{address}?{query}" if query else address
    return table


def _statistics_table(figures: list[WaitFigures], scheme_filtered: bool, organisation: str | None) -> Table:
    codes = snapshot()
    schemes, organisations = codes.codes(Scheme), codes.codes(Organisation)
    table = Table(
        "waits",
        "Waits from offer to start",
        ["Scheme", "Organisation", "Hires counted", "Median days", "90th percentile days"],
        caption=f"Hires who started in the last {WAIT_STATISTICS_DAYS} days: days from offer to start",
        numeric_columns=(2, 3, 4),
    )

    def order(figure: WaitFigures):
        scheme = schemes.get(figure.scheme_id, "") if figure.scheme_id else "~"  # all schemes last
        return scheme, figure.organisation_id is not None, organisations.get(figure.organisation_id, "")

    every_organisation = f"All of {organisation} (with its units)" if organisation else "All organisations"
    for figure in sorted(figures, key=order):
        if figure.scheme_id is None and scheme_filtered:
            continue  # all schemes of one scheme: the same as that scheme's rows
        table.rows.append(
            [
                schemes[figure.scheme_id] if figure.scheme_id else "All schemes",
                organisations[figure.organisation_id] if figure.organisation_id else every_organisation,
                *(
                    [figure.starts, _whole(figure.median), _whole(figure.ninetieth)]
                    if figure.shown
                    else [NOT_SHOWN, NOT_SHOWN, NOT_SHOWN]
                ),
            ]
        )
    return table


def _whole(days: float) -> float | int:
    """120.0 days shown as 120; 37.5 as it is."""
    return int(days) if days.is_integer() else days


def _may_use(access: Access) -> bool:
    return access.everything or bool(access.holder_ids(Action.VIEW) or access.owner_ids(Action.VIEW))


def _offers(access: Access, filtered, today: datetime.date):
    return waiting(access.restrict(filtered, Action.VIEW), today)


def _due_caption(keep_in_touch: KeepInTouch, count: int) -> str:
    return (
        f"Waited more than {keep_in_touch.waited_days} days, no contact in the last "
        f"{keep_in_touch.silent_days} days: {count}"
    )


def _statistics(user, filterset: PlacementFilterSet, today: datetime.date) -> Table:
    return _statistics_table(
        wait_statistics(user, filterset.qs, today),
        scheme_filtered="scheme" in filterset.data,
        organisation=filterset.data.get("organisation"),
    )


@register("pipeline", may_use=lambda user: _may_use(Access(user)), filters=FILTERS)
def downloads(user, filters: Filters) -> Page:
    """The page's tables in full for a download: every due and every waiting offer the user may see for the
    filters (the page shows them 100 and 50 at a time). The filters were checked by the download view
    (`parse_filters` checks `scheme` and `organisation` as the statistics API does); only those two apply."""
    access = Access(user)
    today = timezone.localdate()
    scope = filters.scope  # the codes as the statistics API looked them up
    given = {name: code for name, code in (("scheme", scope.scheme), ("organisation", scope.organisation)) if code}
    filterset = filterset_for(given)
    if not filterset.is_valid():  # never unfiltered: a code the statistics API knows, the records' FilterSet knows
        raise FilterError({name: " ".join(errors) for name, errors in filterset.errors.items()})
    keep_in_touch = KeepInTouch.from_settings()
    offers = _offers(access, filterset.qs, today)
    due = offer_rows(keep_in_touch.due(offers, today), names=True)
    offers = offer_rows(offers, names=True)
    covers = f"Offers waiting to start as at {today:%-d %B %Y}; Scheme: {scope.scheme or 'all schemes'}; "
    covers += f"Organisation: {scope.organisation or 'all you can see'}"
    return Page(
        [
            _waiting_table(
                "keep-in-touch", "Due a contact", _due_caption(keep_in_touch, len(due)), due, access, ""
            ).downloadable(),
            _waiting_table(
                "waiting", "Offers waiting to start", f"Offers waiting to start: {len(offers)}", offers, access, ""
            ).downloadable(),
            _statistics(user, filterset, today).downloadable(),
        ],
        covers=covers,
        definitions=DEFINITIONS,
        when=f"{today:%Y-%m-%d}",
    )


@dataclass(frozen=True)
class Figures:
    """What the page shows for one user and filters, every part kept under the records version: the page of
    waiting offers asked for, the first of those due a contact and their number, the waits' figures."""

    page: DjangoPage
    due: list[WaitingOffer]
    due_count: int
    waits: list[WaitFigures]


def figures(user, filterset: PlacementFilterSet, today: datetime.date, page: str | int | None = None) -> Figures:
    """The page's figures (what the dashboards' warming asks for too, reporting/warming.py)."""
    offers = _offers(Access(user), filterset.qs, today)
    waiting_page = Paginator(WaitingList(offers), WAITING_PAGE_SIZE).get_page(page)
    due = WaitingList(KeepInTouch.from_settings().due(offers, today))
    due_shown = due[:KEEP_IN_TOUCH_SHOWN]
    due_count = len(due_shown) if len(due_shown) < KEEP_IN_TOUCH_SHOWN else due.count()
    return Figures(waiting_page, due_shown, due_count, wait_statistics(user, filterset.qs, today))


def filterset_for(data: dict[str, str]) -> PlacementFilterSet:
    return PlacementFilterSet(data=data, queryset=Placement.objects.all())


@login_required
def pipeline(request):
    access = Access(request.user)
    if not _may_use(access):
        raise PermissionDenied("The pipeline is for staff who work with care leavers' records.")
    today = timezone.localdate()
    filterset, query = _filters(request)
    keep_in_touch = KeepInTouch.from_settings()
    context = {
        "filters": filterset.form,
        "keep_in_touch": keep_in_touch,
        "query": query,
        "today": today,
        "sections": sections("pipeline"),
        "definitions": DEFINITIONS,
    }
    if not filterset.is_valid():
        return render(request, "dashboard/pipeline.html", context, status=400)
    shown = figures(request.user, filterset, today, request.GET.get("page"))
    page = shown.page
    # The kept rows hold no names: those the user may see are read for both lists at once.
    named = {row.pk: row for row in with_names([*shown.due, *page.object_list], access)}
    due_shown = [named[row.pk] for row in shown.due]
    due_count = shown.due_count
    tables = {
        "keep_in_touch": _waiting_table(
            "keep-in-touch",
            "Due a contact",
            _due_caption(keep_in_touch, due_count),
            due_shown,
            access,
            query,
        ),
        "waiting": _waiting_table(
            "waiting",
            "Offers waiting to start",
            f"Offers waiting to start: {page.paginator.count}",
            [named[row.pk] for row in page.object_list],
            access,
            query,
        ),
        "waits": _statistics_table(
            shown.waits,
            scheme_filtered="scheme" in filterset.data,
            organisation=filterset.data.get("organisation"),
        ),
    }
    listed = {placement.pk for table in (tables["keep_in_touch"], tables["waiting"]) for placement in table.records}
    record_reads(request.user, [Placement(pk=pk) for pk in sorted(listed)], RecordAccess.How.DASHBOARD, request.path)
    context |= {
        "tables": tables,
        "page_obj": page,
        "due_count": due_count,
        "due_more": due_count - len(due_shown),
        "statistics_days": WAIT_STATISTICS_DAYS,
        "page_name": "pipeline",
    }
    return render(request, "dashboard/pipeline.html", context)


class ContactForm(GovukFormMixin, forms.Form):
    """What was said to whom, when, and how; the rules of a contact are the model's (`Contact.clean`)."""

    contacted_on = GovukDateField(label="Date of contact")
    method = forms.ChoiceField(
        label="How were you in touch?",
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you were in touch"},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        help_text="What was said or agreed. Keep personal details to what is needed.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "The note must be 2000 characters or fewer"},
    )


@login_required
def contact(request, pk: int):
    """Record a contact for one waiting offer; 404 for a placement the user may not record contacts for (so
    another organisation's records are not even confirmed to exist)."""
    access = Access(request.user)
    recordable = access.restrict(Placement.objects.all(), Action.RECORD_CONTACT)
    placement = get_object_or_404(recordable.select_related("candidate", "organisation", "scheme"), pk=pk)
    form = ContactForm(request.POST if request.method == "POST" else None)
    back = reverse("dashboard:pipeline")
    query = urlencode({name: request.GET[name] for name in FILTERS if request.GET.get(name)})
    if query:
        back += f"?{query}"
    if request.method == "POST" and form.is_valid():
        try:
            record_contact(request.user, placement, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Contact with {placement.candidate.reference} recorded.")
            return redirect(back)
    record_read(request.user, placement, RecordAccess.How.DASHBOARD, request.path)
    contacts = placement.contacts.select_related("recorded_by")[:20]
    personal = access.allows(Action.VIEW_PERSONAL, placement)
    name = f"{placement.candidate.given_name} {placement.candidate.family_name}".strip() if personal else ""
    return render(
        request,
        "pipeline/contact.html",
        {"form": form, "placement": placement, "name": name, "contacts": contacts, "back": back},
        status=400 if form.errors else 200,
    )
