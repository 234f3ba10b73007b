"""HR data entry in the admin: candidates with their placements, placements with their outcome history.

Who sees, changes and sees the personal details of what is decided in one place, placements/access.py; every
admin here lists, searches, autocompletes, opens, saves and filters records only by asking it, so a member of
staff of one organisation cannot reach another's records by list, search, autocomplete, filter or a typed URL.
Every opening of a record page is written to `RecordAccess`; every change is kept by django-simple-history.
"""

from __future__ import annotations

import copy
from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404

from schemes.admin import RECORD_ORGANISATION_CHOICES, HistoryAdmin

from .access import PERSONAL_FIELDS, Access, Action, allows, filing_organisations, restrict
from .admin_import import HiresImportMixin
from .audit import record_read
from .choices import PlacementStatus
from .contacts import record_contact
from .models import Candidate, Contact, Outcome, Placement, RecordAccess


class AccessCheckedForm(forms.ModelForm):
    """A record's form that refuses, on the field concerned, what its user may not save (`save_problems`):
    a placement moved to a scheme the user does not run, a record given another organisation's candidate."""

    access_user = None  # set on the form class made for each request (`_for_user`)

    def clean(self):
        cleaned = super().clean()
        names = {field.name for field in self._meta.model._meta.concrete_fields}
        record = copy.copy(self.instance)  # as it would be saved; the instance itself is still as stored
        for name, value in cleaned.items():
            if name in names:
                setattr(record, name, value)
        before = self.instance if self.instance.pk is not None else None
        for name, message in Access(self.access_user).save_problems(record, before).items():
            self.add_error(name if name in self.fields else None, message)
        return cleaned


def _for_user(form_class, user):
    return type(form_class.__name__, (form_class,), {"access_user": user})


class OfferedFiltersChangeList(ChangeList):
    """A list filtered only by what its list filters and date hierarchy offer. Django's admin also takes any
    lookup on a model's own fields from the URL, so `?email__startswith=a` on candidates let someone who may not
    see e-mail addresses recover one letter by letter from the number of rows; every lookup no filter took is
    refused here with a 400 (DisallowedModelAdminLookup), before the list is read, whatever the data."""

    def get_filters(self, request):
        asked = set(self.get_filters_params())
        specs, has_filters, remaining, may_have_duplicates, has_active_filters = super().get_filters(request)
        if unoffered := asked & set(remaining):
            raise DisallowedModelAdminLookup(f"Filtering by {min(unoffered)} not allowed")
        return specs, has_filters, remaining, may_have_duplicates, has_active_filters


class RecordAdmin(HistoryAdmin):
    """What every admin of care-leaver records shares: scoped lists, object permissions and checked saves (all
    from placements/access.py), only the filters it offers, audited reads."""

    form = AccessCheckedForm

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_form(self, request, obj=None, **kwargs):
        return _for_user(super().get_form(request, obj, **kwargs), request.user)

    def get_changelist(self, request, **kwargs):
        return OfferedFiltersChangeList

    def may_edit(self, request, obj) -> bool:
        return obj is None or allows(request.user, Action.CHANGE, obj)

    def may_move(self, request, obj) -> bool:
        return obj is None or allows(request.user, Action.MOVE, obj)

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or allows(request.user, Action.VIEW, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.may_edit(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            record_read(request.user, obj, RecordAccess.How.ADMIN_PAGE, request.path)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _visible_or_404(self, request, object_id):
        """The record if the user may see it; a typed id of someone else's record is simply not found.

        simple_history would otherwise fall back to the history rows of a record missing from the
        queryset, which is how a deleted record's history stays visible; only superusers keep that."""
        try:
            obj = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        except (ValueError, ValidationError):
            obj = None
        if obj is None and not request.user.is_superuser:
            raise Http404(f"No {self.model._meta.verbose_name} with that id.")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        obj = self._visible_or_404(request, object_id)
        response = super().history_view(request, object_id, extra_context)
        if obj is not None:
            record_read(request.user, obj, RecordAccess.How.ADMIN_HISTORY, request.path)
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ScopedInlineMixin:
    """Inline rows follow the parent's rules: only visible rows listed, only editable parents changed, and each
    row's save checked like the record's own page."""

    form = AccessCheckedForm

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _for_user(formset.form, request.user)
        return formset

    def _parent_editable(self, request, obj) -> bool:
        return obj is None or allows(request.user, Action.CHANGE, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_editable(request, obj)


class CandidatePlacementFormSet(BaseInlineFormSet):
    """A placement entered on its candidate's page is with the organisation that holds the candidate."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.instance.organisation_id:
            form.instance.organisation_id = self.instance.organisation_id
        return form


class PlacementInline(ScopedInlineMixin, admin.TabularInline):
    model = Placement
    formset = CandidatePlacementFormSet
    fields = ["scheme", "business_unit", "location", "grade", "offered_on", "started_on", "ended_on"]
    autocomplete_fields = ["scheme", "location", "grade"]
    show_change_link = True
    extra = 0


class OutcomeInline(ScopedInlineMixin, admin.TabularInline):
    model = Outcome
    fields = ["code", "on", "destination_organisation", "activity_code", "notes"]
    autocomplete_fields = ["destination_organisation"]
    extra = 0


class ContactInline(admin.TabularInline):
    """The contacts recorded for a placement, latest first: a log, so added (through `record_contact`, which
    checks the rule and keeps the last contact in step) but never changed or deleted here."""

    model = Contact
    fields = ["contacted_on", "method", "note", "recorded_by"]
    readonly_fields = ["recorded_by"]
    extra = 0

    def has_view_permission(self, request, obj=None):
        return obj is None or allows(request.user, Action.VIEW, obj)

    def has_add_permission(self, request, obj=None):
        return obj is not None and allows(request.user, Action.RECORD_CONTACT, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatusFilter(admin.SimpleListFilter):
    """The pipeline stage today, computed in the database (`status_expression`)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return PlacementStatus.choices

    def queryset(self, request, queryset):
        if self.value() in PlacementStatus.values:
            return queryset.filter(status=self.value())
        return queryset


class StartYearFilter(admin.SimpleListFilter):
    title = "start year"
    parameter_name = "start_year"

    def lookups(self, request, model_admin):
        years = Placement.objects.for_user(request.user).dates("started_on", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(started_on__year=int(self.value()))
        return queryset


@admin.register(Candidate)
class CandidateAdmin(RecordAdmin):
    list_display = ["reference", "organisation_code", "date_of_birth", "placement_count", "created_at"]
    list_filter = [("organisation", admin.RelatedOnlyFieldListFilter), "legal_status"]
    list_select_related = ["organisation"]
    search_fields = ["reference"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["anonymised_on", "created_at"]
    inlines = [PlacementInline]

    def get_queryset(self, request):
        visible = Placement.objects.for_user(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(visible_placements=Count("placements", filter=Q(placements__in=visible)))
            .order_by("organisation__code", "reference")  # an aggregate drops Meta.ordering
        )

    def shows_personal_details(self, request, obj=None) -> bool:
        """A new candidate is filed under one of the user's own organisations (the choices offered), whose
        candidates' details they see; saving any other is refused (`save_problems`)."""
        return obj is None or allows(request.user, Action.VIEW_PERSONAL, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ["organisation", "reference"]})]
        if self.shows_personal_details(request, obj):
            fieldsets.append(("Personal details (restricted)", {"fields": list(PERSONAL_FIELDS)}))
        fieldsets += [
            (
                "Support and eligibility",
                {
                    "fields": [
                        "date_of_birth",
                        "legal_status",
                        "responsible_local_authority",
                        ("english_level_2", "maths_level_2", "needs_esol"),
                        "unaccompanied_asylum_seeking_child",
                        "right_to_work_restrictions",
                        "neet_since",
                        "skills",
                        "aspirations",
                        "strengths",
                        "consent_recorded_on",
                    ]
                },
            ),
            ("Record", {"fields": ["anonymised_on", "created_at"]}),
        ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.may_move(request, obj):
            fields.append("organisation")  # a scheme administrator edits the record but does not move it
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = filing_organisations(request.user, Candidate)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """As simple_history does it, but without personal details for people who may not see them."""
        newest = next(iter(historical_records), None)  # a page's versions are of one candidate
        shown = newest is not None and self.shows_personal_details(request, newest.instance)
        hidden = [] if shown else list(PERSONAL_FIELDS)
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=hidden, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    @admin.display(description="organisation", ordering="organisation__code")
    def organisation_code(self, candidate):
        return candidate.organisation.code

    @admin.display(description="placements", ordering="visible_placements")
    def placement_count(self, candidate):
        return candidate.visible_placements


@admin.register(Placement)
class PlacementAdmin(HiresImportMixin, RecordAdmin):
    # What HR look for in the list, narrow enough for a 1280 px screen beside the filters (tests/browser/
    # test_admin_lists.py); the business unit and the pipeline's other dates are on the change page.
    list_display = [
        "candidate_reference",
        "organisation_code",
        "scheme_code",
        "location",
        "grade",
        "started_on",
        "status_label",
        "latest_outcome",
    ]
    list_filter = [
        ("scheme", admin.RelatedOnlyFieldListFilter),
        ("organisation", admin.RelatedOnlyFieldListFilter),
        ("location", admin.RelatedOnlyFieldListFilter),
        ("grade", admin.RelatedOnlyFieldListFilter),
        StatusFilter,
        StartYearFilter,
        "latest_outcome",
    ]
    list_select_related = ["candidate__organisation", "organisation", "scheme", "location", "grade"]
    search_fields = ["candidate__reference"]
    date_hierarchy = "started_on"
    autocomplete_fields = ["candidate", "organisation", "scheme", "location", "grade"]
    readonly_fields = ["latest_outcome", "latest_outcome_on"]
    fieldsets = [
        (None, {"fields": ["candidate", "organisation", "scheme", "business_unit", "location", "grade"]}),
        (
            "Pipeline",
            {
                "fields": [
                    "referred_on",
                    "applied_on",
                    "offered_on",
                    ("clearance_requested_on", "clearance_granted_on"),
                    "started_on",
                    "planned_end_on",
                    "ended_on",
                    "last_contact_on",
                ]
            },
        ),
        ("Latest outcome (from the history below)", {"fields": ["latest_outcome", "latest_outcome_on"]}),
    ]
    inlines = [OutcomeInline, ContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    def save_formset(self, request, form, formset, change):
        """New contacts go through `record_contact`, like the pipeline page's: the rule, the contact's own
        checks, and the placement's last contact kept in step (inside the admin's transaction)."""
        if formset.model is not Contact:
            return super().save_formset(request, form, formset, change)
        formset.changed_objects, formset.deleted_objects = [], []
        formset.new_objects = [
            record_contact(
                request.user,
                form.instance,
                **{name: entry.cleaned_data[name] for name in ("contacted_on", "method", "note")},
            )
            for entry in formset.extra_forms
            if entry.has_changed()
        ]
        return None

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.may_move(request, obj):
            fields += ["candidate", "organisation"]  # a scheme administrator does not move another's records
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation":
            kwargs["queryset"] = filing_organisations(request.user, Placement)
        elif db_field.name == "candidate":
            changeable = restrict(Candidate.objects.all(), request.user, Action.CHANGE)
            kwargs["queryset"] = changeable.select_related("organisation")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="candidate", ordering="candidate__reference")
    def candidate_reference(self, placement):
        return placement.candidate.reference

    @admin.display(description="organisation", ordering="organisation__code")
    def organisation_code(self, placement):
        return placement.organisation.code

    @admin.display(description="scheme", ordering="scheme__code")
    def scheme_code(self, placement):
        return placement.scheme.code

    @admin.display(description="status", ordering="status")
    def status_label(self, placement):
        return PlacementStatus(placement.status).label


@admin.register(Outcome)
class OutcomeAdmin(RecordAdmin):
    # Codes and the placement's start rather than their full names, so the list fits a 1280 px screen.
    list_display = [
        "candidate_reference",
        "organisation_code",
        "scheme_code",
        "placement_started_on",
        "code",
        "on",
        "destination_code",
        "activity_code",
    ]
    list_filter = ["code", ("placement__scheme", admin.RelatedOnlyFieldListFilter)]
    list_select_related = [
        "placement__candidate__organisation",
        "placement__organisation",
        "placement__scheme",
        "destination_organisation",
    ]
    search_fields = ["placement__candidate__reference"]
    date_hierarchy = "on"
    autocomplete_fields = ["placement", "destination_organisation"]

    @admin.display(description="candidate", ordering="placement__candidate__reference")
    def candidate_reference(self, outcome):
        return outcome.placement.candidate.reference

    @admin.display(description="organisation", ordering="placement__organisation__code")
    def organisation_code(self, outcome):
        return outcome.placement.organisation.code

    @admin.display(description="scheme", ordering="placement__scheme__code")
    def scheme_code(self, outcome):
        return outcome.placement.scheme.code

    @admin.display(description="start date", ordering="placement__started_on")
    def placement_started_on(self, outcome):
        return outcome.placement.started_on

    @admin.display(description="destination", ordering="destination_organisation__code")
    def destination_code(self, outcome):
        return outcome.destination_organisation.code if outcome.destination_organisation else ""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "placement":
            changeable = restrict(Placement.objects.all(), request.user, Action.CHANGE)
            kwargs["queryset"] = changeable.select_related("candidate__organisation", "scheme")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# The organisation autocomplete of a record's form offers what the form's own choices offer.
RECORD_ORGANISATION_CHOICES["placements", "candidate", "organisation"] = partial(filing_organisations, model=Candidate)
RECORD_ORGANISATION_CHOICES["placements", "placement", "organisation"] = partial(filing_organisations, model=Placement)


@admin.register(RecordAccess)
class RecordAccessAdmin(admin.ModelAdmin):
    """The read audit: superusers only, and nobody edits it."""

    list_display = ["at", "user", "how", "record_type", "record_id", "path"]
    list_filter = ["how", "record_type"]
    list_select_related = ["user", "record_type"]
    search_fields = ["user__username", "path"]
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
