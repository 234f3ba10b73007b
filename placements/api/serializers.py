"""Records as API clients read and write them.

Writes run the model's own `full_clean()` (field checks, `clean()`, unique and check constraints), the same
rules the admin form and the importer apply, so the API cannot accept a record the admin would refuse.
Reference values are given by code (scheme, organisation, grade) or name (location), as in the spreadsheets.
"""

from __future__ import annotations

import copy
import datetime
import functools
import operator
from collections import namedtuple
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings

from placements.access import PERSONAL_FIELDS, Access, Action
from placements.choices import OutcomeCode
from placements.models import Candidate, Outcome, Placement
from schemes.models import Grade, Location, Organisation, Scheme
from schemes.reference import snapshot


class _RequestUserMixin:
    @cached_property
    def user(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None

    @cached_property
    def access(self) -> Access:
        """The user's rights over records (placements/access.py), worked out once per answer, not per row."""
        return Access(self.user)

    @property
    def _writing(self) -> bool:
        """Choices for related records are only worked out when something is written (they cost queries)."""
        request = self.context.get("request")
        return request is not None and request.method not in SAFE_METHODS


class ReferenceCodeField(serializers.SlugRelatedField):
    """A reference (organisation, scheme, location, grade) by its code or name, in and out.

    Reading maps the stored id through the answer's reference snapshot (schemes/reference.py: id-to-code maps
    kept in the cache until reference data changes), so a page of records needs neither a join per reference
    table (they made the list query several times slower on a million placements) nor a query per table."""

    def get_attribute(self, instance):
        return getattr(instance, instance._meta.get_field(self.source_attrs[-1]).attname)

    def to_representation(self, value):
        return reference_code(self.queryset.model, value, self.root.context)

    def get_choices(self, cutoff=None):
        """The browsable API's choices, by code: DRF hands rows here, not the ids `get_attribute` reads."""
        queryset = self.get_queryset()
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {getattr(row, self.slug_field): self.display_value(row) for row in queryset}


def request_snapshot(context: dict):
    """The reference snapshot a serializer's output uses, kept in its context: one for the whole answer."""
    reference = context.get("reference snapshot")
    if reference is None:
        reference = context["reference snapshot"] = snapshot()
    return reference


def reference_code(model, pk: int | None, context: dict) -> str | None:
    """The code (or name, for locations) of one reference row, from the snapshot the answer holds."""
    if pk is None:
        return None
    code = request_snapshot(context).codes(model).get(pk)
    if code is None:  # created since the snapshot was read (its commit replaces the version for the next answer)
        code = getattr(model.objects.get(pk=pk), "name" if model is Location else "code")
    return code


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A code the database keeps as "" when there is none yet (a placement with no outcome), shown as null like
    every other value not there yet (`latest_outcome_on`, `ended_on`): one "none" for clients to handle."""

    def to_representation(self, value):
        return super().to_representation(value) or None


class FullCleanSerializer(_RequestUserMixin, serializers.ModelSerializer):
    """A ModelSerializer whose validation is the access rule's and the model's `full_clean()`: one set of rules
    for every door."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # A copy, so a refused change leaves the instance as it was.
        instance = self.Meta.model() if self.instance is None else copy.copy(self.instance)
        for name, value in attrs.items():
            setattr(instance, name, value)
        if problems := self.access.save_problems(instance, self.instance):
            raise serializers.ValidationError(problems)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            detail = serializers.as_serializer_error(error)
            if "__all__" in detail:
                detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
            raise serializers.ValidationError(detail) from error
        return attrs


class CandidateSerializer(FullCleanSerializer):
    """A care leaver. Name and contact details are shown to, and changed by, the HR staff and scheme administrators
    of the organisation that holds the record only."""

    organisation = ReferenceCodeField(slug_field="code", queryset=Organisation.objects.all())

    class Meta:
        model = Candidate
        fields = [
            "id",
            "organisation",
            "reference",
            *PERSONAL_FIELDS,
            "date_of_birth",
            "legal_status",
            "responsible_local_authority",
            "english_level_2",
            "maths_level_2",
            "needs_esol",
            "unaccompanied_asylum_seeking_child",
            "right_to_work_restrictions",
            "neet_since",
            "skills",
            "aspirations",
            "strengths",
            "consent_recorded_on",
            "anonymised_on",
            "created_at",
        ]
        read_only_fields = ["anonymised_on", "created_at"]
        validators = []  # full_clean() checks the unique reference, with the model's own message
        extra_kwargs = {name: {"required": False} for name in PERSONAL_FIELDS}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.access.allows(Action.VIEW_PERSONAL, instance):
            for name in PERSONAL_FIELDS:
                data.pop(name, None)
        return data


class PlacementSerializer(FullCleanSerializer):
    """One placement through the pipeline; `status` and the latest outcome are derived, never written."""

    candidate = serializers.PrimaryKeyRelatedField(queryset=Candidate.objects.none())
    candidate_reference = serializers.CharField(source="candidate.reference", read_only=True)
    organisation = ReferenceCodeField(slug_field="code", queryset=Organisation.objects.all())
    scheme = ReferenceCodeField(slug_field="code", queryset=Scheme.objects.all())
    location = ReferenceCodeField(slug_field="name", queryset=Location.objects.all())
    grade = ReferenceCodeField(slug_field="code", queryset=Grade.objects.all())
    status = serializers.SerializerMethodField()
    latest_outcome = BlankAsNullChoiceField(choices=OutcomeCode.choices, read_only=True, allow_null=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "candidate",
            "candidate_reference",
            "organisation",
            "scheme",
            "business_unit",
            "location",
            "grade",
            "referred_on",
            "applied_on",
            "offered_on",
            "clearance_requested_on",
            "clearance_granted_on",
            "started_on",
            "planned_end_on",
            "ended_on",
            "status",
            "latest_outcome",
            "latest_outcome_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["latest_outcome", "latest_outcome_on", "created_at", "updated_at"]
        # The model's constraints are checked by full_clean(); DRF's own copies of them would duplicate
        # the messages with different wording.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and self._writing:
            self.fields["candidate"].queryset = self.access.restrict(Candidate.objects.all(), Action.CHANGE)

    def get_status(self, placement) -> str:
        return placement.status_on()

    @cached_property
    def _shown_as(self) -> list[tuple[str, Callable]]:
        """Each output key with what shows it from a row, worked out once per answer, not once per row."""
        context = self.root.context
        reference, today = request_snapshot(context), timezone.localdate()
        zone = timezone.get_current_timezone()
        shown_as = []
        for key, kind, model, column in placement_layout().shown:
            value = None if column is None else operator.itemgetter(column)
            if kind == "status":
                shown_as.append((key, lambda row: row.status_on(today)))
            elif kind == "code":
                shown_as.append((key, _code_shower(value, reference.codes(model), model, context)))
            elif kind == "date":
                shown_as.append((key, lambda row, value=value: _iso_date(value(row))))
            elif kind == "datetime":
                shown_as.append((key, lambda row, value=value: _iso_datetime(value(row), zone)))
            elif kind == "blank_as_null":
                shown_as.append((key, lambda row, value=value: value(row) or None))
            else:
                shown_as.append((key, value))
        return shown_as

    def to_representation(self, placement):
        """What the declared fields give (tests/api compare the two), written out from a plain row: walking DRF's
        fields for every row was most of a page's time (BENCHMARKS.md "API"). A page's rows come as
        `placement_layout().row`s (placements/api/views.py); a single placement (one read, or a write's answer)
        as a model instance."""
        layout = placement_layout()
        row = placement if isinstance(placement, layout.row) else layout.row_of(placement)
        return {key: show(row) for key, show in self._shown_as}


def _code_shower(value: Callable, codes: dict[int, str], model, context: dict) -> Callable:
    """A reference's code from a map looked up once per answer (a row created since is looked up itself)."""

    def show(row):
        pk = value(row)
        return codes[pk] if pk in codes else reference_code(model, pk, context)

    return show


class PlacementLayout:
    """PlacementSerializer's declared fields (its `Meta.fields`, the one list) as a page reads and shows them:
    the ORM lookups of a page's query, one per field but `status` (worked out from the dates), the plain row
    type they fill, and for each output key its kind and column. Worked out once per process."""

    def __init__(self, fields):
        self.shown: list[tuple[str, str, type[models.Model] | None, int | None]] = []  # key, kind, model, column
        self.lookups: list[str] = []
        names, getters = [], []
        for key in PlacementSerializer.Meta.fields:
            field = fields[key]
            if isinstance(field, serializers.SerializerMethodField):  # status
                self.shown.append((key, "status", None, None))
                continue
            model = None
            if isinstance(field, serializers.RelatedField):
                attribute = Placement._meta.get_field(field.source).attname
                kind = "code" if isinstance(field, ReferenceCodeField) else "value"
                model = field.queryset.model if kind == "code" else None
            else:
                attribute = field.source
                kind = {
                    serializers.DateTimeField: "datetime",
                    serializers.DateField: "date",
                    BlankAsNullChoiceField: "blank_as_null",
                }.get(type(field), "value")
            self.shown.append((key, kind, model, len(names)))
            names.append(key)
            self.lookups.append(attribute.replace(".", "__"))
            getters.append(operator.attrgetter(attribute))
        self.row = type(
            "PlacementRow",
            (namedtuple("PlacementRow", names),),
            {"__slots__": (), "status_on": Placement.status_on, "pk": property(operator.attrgetter("id"))},
        )
        self._getters = getters
        # The page's query, built once: each page only adds its ids (building the joins of the lookups is most
        # of compiling it, BENCHMARKS.md "API"). Filtering clones it, so it is never evaluated itself.
        self.rows = Placement.objects.order_by().values_list(*self.lookups)

    def row_of(self, placement: Placement):
        """A model instance (one read, a write's answer) as a page's row."""
        return self.row(*(getter(placement) for getter in self._getters))


@functools.cache
def placement_layout() -> PlacementLayout:
    return PlacementLayout(PlacementSerializer(context={}).fields)


def _iso_date(value: datetime.date | None) -> str | None:
    """DRF's DateField output: ISO 8601, or None."""
    return value.isoformat() if value else None


def _iso_datetime(value: datetime.datetime | None, zone: datetime.tzinfo) -> str | None:
    """DRF's DateTimeField output: ISO 8601 in the current time zone, `Z` for UTC, or None."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class OutcomeSerializer(FullCleanSerializer):
    """An entry in a placement's outcome history."""

    placement = serializers.PrimaryKeyRelatedField(queryset=Placement.objects.none())
    label = serializers.CharField(source="get_code_display", read_only=True)
    destination_organisation = ReferenceCodeField(
        slug_field="code", queryset=Organisation.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Outcome
        fields = ["id", "placement", "code", "label", "on", "destination_organisation", "activity_code", "notes"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and self._writing:
            self.fields["placement"].queryset = self.access.restrict(Placement.objects.all(), Action.CHANGE)
