"""How a dashboard table's cell reads on the page: "–" for nothing, the symbol for a hidden count (with words
for a screen reader), numbers as they are."""

from django import template
from django.utils.html import format_html

from reporting.dashboards.tables import Hidden

register = template.Library()


@register.simple_tag
def cell(value):
    if value is None:
        return format_html('–<span class="govuk-visually-hidden"> (none)</span>')
    if isinstance(value, Hidden):
        return format_html(
            '{}<span class="govuk-visually-hidden"> (hidden to protect the people counted)</span>', value.symbol
        )
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@register.simple_tag
def download_url(page_name, table, extension, query_string):
    from django.urls import reverse

    url = reverse("dashboard:download", args=[page_name, table.slug, extension])
    return f"{url}?{query_string}" if query_string else url
