"""The GOV.UK template partials other pages reuse (tables, summary lists, error summaries, pagination)."""

import pytest
from django import forms
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory

from careleavers.forms import GovukFormMixin


class ExampleForm(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Name", help_text="As on the letter.")
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    kind = forms.ChoiceField(label="Kind", choices=[("a", "First"), ("b", "Second")], widget=forms.RadioSelect)
    agreed = forms.BooleanField(label="Agreed", required=False)


def test_table_cells_may_be_text_numbers_links_or_tags():
    html = render_to_string(
        "includes/table.html",
        {
            "caption": "Hires by year",
            "head": ["Year", "Newport", "Status"],
            "rows": [["2023", 0, {"text": "Overdue", "tag": "red"}], [{"text": "2024", "href": "/y/2024/"}, 7, "ok"]],
            "numeric_columns": [1],
        },
    )
    assert '<caption class="govuk-table__caption govuk-table__caption--m">Hires by year</caption>' in html
    assert '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Newport</th>' in html
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">\n        0\n' in html  # a zero is shown
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in html
    assert '<a class="govuk-link" href="/y/2024/">2024</a>' in html
    assert 'role="region" aria-label="Hires by year" tabindex="0"' in html


def test_an_empty_table_says_so():
    html = render_to_string("includes/table.html", {"head": ["A", "B"], "rows": [], "empty_text": "None yet."})
    assert '<td class="govuk-table__cell" colspan="2">None yet.</td>' in html


def test_summary_list_rows_with_and_without_actions():
    html = render_to_string(
        "includes/summary_list.html",
        {"rows": [{"key": "Due", "value": "1 May 2025", "href": "/edit/", "action": "Change"}, {"key": "Note"}]},
    )
    assert '<a class="govuk-link" href="/edit/">Change<span class="govuk-visually-hidden"> due</span></a>' in html
    assert "govuk-summary-list__row--no-actions" in html
    assert "Not recorded" in html


def test_a_form_in_error_is_marked_for_screen_readers_and_summarised():
    form = ExampleForm({"name": "", "kind": "z"})
    assert not form.is_valid()
    html = render_to_string("includes/error_summary.html", {"form": form}) + render_to_string(
        "includes/form_fields.html", {"form": form}
    )
    assert '<a href="#id_name">This field is required.</a>' in html
    assert 'class="govuk-input govuk-input--error"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert '<p id="id_name_error" class="govuk-error-message">' in html
    assert 'class="govuk-radios__input"' in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Kind</legend>' in html
    assert 'class="govuk-checkboxes__input"' in html
    assert 'class="govuk-textarea"' in html


@pytest.mark.parametrize(("page", "previous", "following"), [(1, False, True), (2, True, True), (3, True, False)])
def test_pagination_keeps_the_filters(page, previous, following):
    request = RequestFactory().get("/foi/", {"show": "all", "page": page})
    page_obj = Paginator(list(range(25)), 10).get_page(page)
    html = render_to_string("includes/pagination.html", {"page_obj": page_obj}, request=request)
    assert 'href="?show=all&amp;page=3"' in html
    assert ('rel="prev"' in html) is previous
    assert ('rel="next"' in html) is following
    assert f'aria-label="Page {page}" aria-current="page"' in html
