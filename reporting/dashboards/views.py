"""The dashboard pages and their downloads. Views only check who may look, parse the filters and render: the
figures come from reporting/dashboard.py through each page's builder (pages.py, tables.register)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import resolve, reverse
from django.utils.text import slugify

from placements.audit import record_reads
from placements.models import RecordAccess
from reporting.dashboard import DEFINITIONS, FilterError, filter_choices, may_use_dashboards, parse_filters

from . import pages  # noqa: F401 - registers the builders
from .downloads import as_csv, as_xlsx
from .tables import FILTERED_BY, MAY_USE, PAGES

TITLES = {"overview": "Overview", "outcomes": "Outcomes", "targets": "Pledges and targets"}
TEMPLATES = {
    "overview": "dashboard/overview.html",
    "outcomes": "dashboard/outcomes.html",
    "targets": "dashboard/targets.html",
}
# The dashboards run no inline script and no inline style: charts are drawn by static files from data islands.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sections(current: str) -> list[dict]:
    """The dashboard's own navigation."""
    links = [
        ("Overview", reverse("dashboard:overview"), "overview"),
        ("Pipeline", reverse("dashboard:pipeline"), "pipeline"),
        ("Outcomes", reverse("dashboard:outcomes"), "outcomes"),
        ("Pledges and targets", reverse("dashboard:targets"), "targets"),
    ]
    return [{"label": label, "url": url, "current": name == current} for label, url, name in links]


def _check(user) -> None:
    if not may_use_dashboards(user):
        raise PermissionDenied("The dashboards are for HR staff, managers and scheme administrators.")


def _page(name: str):
    @login_required
    def view(request):
        _check(request.user)
        context = {
            "title": TITLES[name],
            "page_name": name,
            "sections": sections(name),
            "choices": filter_choices(request.user),
            "given": request.GET,
            "definitions": DEFINITIONS,
        }
        try:
            filters = parse_filters(request.GET)
        except FilterError as error:
            context["errors"] = error.errors
            response = render(request, TEMPLATES[name], context, status=400)
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            return response
        page = PAGES[name](request.user, filters)
        context |= {"filters": filters, "tables": page.tables, **page.context}
        response = render(request, TEMPLATES[name], context)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    view.__name__ = name
    return view


overview = _page("overview")
outcomes = _page("outcomes")
targets = _page("targets")


@login_required
def download(request, page: str, slug: str, extension: str):
    """Any table of any registered page, for the same filters, as CSV or xlsx. A table of records (its
    `records`) is a read of each of them, recorded as an export."""
    if page not in PAGES or extension not in FORMATS:
        raise Http404("No such table.")
    if not MAY_USE[page](request.user):
        raise PermissionDenied("This page's tables are not for your role.")
    try:
        filters = parse_filters({name: value for name, value in request.GET.items() if name in FILTERED_BY[page]})
        built = PAGES[page](request.user, filters)
    except FilterError:
        # Answered as the page itself answers the same filters: the page, its error summary naming each one (400).
        # Its view found by its URL: the pipeline's module imports this one.
        return resolve(reverse(f"dashboard:{page}")).func(request)
    table = built.table(slug)
    if table is None:
        raise Http404("No such table.")
    record_reads(request.user, table.records, RecordAccess.How.EXPORT, request.path)
    title = TITLES.get(page, page.title())
    content = as_csv(table) if extension == "csv" else as_xlsx(table, filters, title, built.covers, built.definitions)
    response = HttpResponse(content, content_type=FORMATS[extension])
    when = built.when or filters.period_label
    name = slugify(f"{table.slug} {when} {filters.scope.scheme or ''} {filters.scope.organisation or ''}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response
