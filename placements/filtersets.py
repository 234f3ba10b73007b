"""One FilterSet per record model: the filters of the API's records lists.

The admin's lists keep Django's own list filters, whose choices and counts come from the user's records and
which are the only lookups the admin accepts (docs/decisions/0060). These only narrow a queryset; *which*
records a user may see is decided before, by `for_user`. Reference values are given by code (scheme,
organisation, grade) or name (location), the way HR spreadsheets name them.
"""

import django_filters
from django import forms
from django.db.models import F, Q

from schemes.models import Grade, Location, Organisation, Scheme

from .choices import LegalStatus, OutcomeCode, PlacementStatus
from .models import Candidate, Outcome, Placement


class _OrganisationTreeFilter(django_filters.ModelChoiceFilter):
    """An organisation by code, with everything nested under it (ONS includes its directorates)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Organisation.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": Organisation.objects.descendant_ids([value])})


class _BoundedIntegerFilter(django_filters.NumberFilter):
    """A whole number within bounds: out-of-range input is a 400 naming the filter, never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int = 0, max_value: int = 2**63 - 1, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


class _FilterSet(django_filters.FilterSet):
    """A FilterSet that builds its form class once, not on every request (django-filter builds a new class, with
    a new form field per filter, each time: about 0.5 ms of every list request). The form fields depend on the
    filters' declarations only, and forms copy their class's fields when they are made, as Django's own do."""

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class


class PlacementFilterSet(_FilterSet):
    scheme = django_filters.ModelChoiceFilter(queryset=Scheme.objects.all(), to_field_name="code")
    organisation = _OrganisationTreeFilter(help_text="Organisation code; includes units nested under it.")
    location = django_filters.ModelChoiceFilter(queryset=Location.objects.all(), to_field_name="name")
    grade = django_filters.ModelChoiceFilter(queryset=Grade.objects.all(), to_field_name="code")
    business_unit = django_filters.CharFilter(lookup_expr="iexact")
    candidate_reference = django_filters.CharFilter(method="filter_candidate_reference")
    started_from = django_filters.DateFilter(field_name="started_on", lookup_expr="gte")
    started_to = django_filters.DateFilter(field_name="started_on", lookup_expr="lte")
    start_year = _BoundedIntegerFilter(field_name="started_on", lookup_expr="year", min_value=1900, max_value=2100)
    latest_outcome = django_filters.ChoiceFilter(choices=OutcomeCode.choices)
    status = django_filters.ChoiceFilter(
        choices=PlacementStatus.choices, method="filter_status", help_text="Pipeline stage today."
    )

    class Meta:
        model = Placement
        fields = []

    def filter_candidate_reference(self, queryset, name, value):
        """The reference is unique within an organisation; saying the candidate's organisation is the
        placement's (as `Placement.clean` requires) lets the database use that unique index."""
        return queryset.filter(candidate__reference=value, candidate__organisation=F("organisation"))

    def filter_status(self, queryset, name, value):
        return queryset.with_status_in([value])


class CandidateFilterSet(_FilterSet):
    organisation = _OrganisationTreeFilter(help_text="Organisation code; includes units nested under it.")
    reference = django_filters.CharFilter()
    legal_status = django_filters.ChoiceFilter(choices=LegalStatus.choices)
    placed = django_filters.BooleanFilter(method="filter_placed", help_text="Has at least one placement that started.")

    class Meta:
        model = Candidate
        fields = []

    def filter_placed(self, queryset, name, value):
        started = Q(pk__in=Placement.objects.started().values("candidate_id"))
        return queryset.filter(started if value else ~started)


class OutcomeFilterSet(_FilterSet):
    placement = _BoundedIntegerFilter(field_name="placement_id")
    code = django_filters.ChoiceFilter(choices=OutcomeCode.choices)
    scheme = django_filters.ModelChoiceFilter(
        field_name="placement__scheme", queryset=Scheme.objects.all(), to_field_name="code"
    )
    organisation = _OrganisationTreeFilter(
        field_name="placement__organisation", help_text="Organisation code; includes units nested under it."
    )
    on_from = django_filters.DateFilter(field_name="on", lookup_expr="gte")
    on_to = django_filters.DateFilter(field_name="on", lookup_expr="lte")

    class Meta:
        model = Outcome
        fields = []
