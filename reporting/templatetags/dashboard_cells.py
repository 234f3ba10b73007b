"""How a dashboard table's cell reads on the page: "–" for nothing, the symbol for a hidden count (with words
for a screen reader), numbers as they are."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from reporting.dashboards.tables import Hidden

register = template.Library()


@register.simple_tag
def cell(value):
    if value is None:
        return mark_safe('–<span class="govuk-visually-hidden"> (none)</span>')  # a constant: nothing to escape
    if isinstance(value, Hidden):
        return format_html(
            '{}<span class="govuk-visually-hidden"> (hidden to protect the people counted)</span>', value.symbol
        )
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@register.simple_tag
def download_url(page_name, table, extension, query_string):
    """The download link of a table for the page's filters."""
    url = reverse("dashboard:download", args=[page_name, table.slug, extension])
    return f"{url}?{query_string}" if query_string else url
