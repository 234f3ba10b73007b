"""Records as API clients read and write them.

Writes run the model's own `full_clean()` (field checks, `clean()`, unique and check constraints), the same
rules the admin form and the importer apply, so the API cannot accept a record the admin would refuse.
Reference values are given by code (scheme, organisation, grade) or name (location), as in the spreadsheets.
"""

from __future__ import annotations

import copy
import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings

from placements.choices import OutcomeCode
from placements.models import EDITOR_ROLES, Candidate, Outcome, Placement
from schemes.choices import Role
from schemes.models import Grade, Location, Membership, Organisation, Scheme
from schemes.reference import snapshot


class _RequestUserMixin:
    @cached_property
    def user(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None

    @cached_property
    def editor_organisation_ids(self) -> set[int]:
        """Organisations whose records the user may change (computed once per request, not per row)."""
        return Membership.objects.organisation_ids(self.user, EDITOR_ROLES) if self.user else set()

    @cached_property
    def owned_scheme_owner_ids(self) -> set[int]:
        return Membership.objects.organisation_ids(self.user, [Role.SCHEME_ADMIN]) if self.user else set()

    @property
    def _writing(self) -> bool:
        """Choices for related records are only worked out when something is written (they cost queries)."""
        request = self.context.get("request")
        return request is not None and request.method not in SAFE_METHODS

    def may_edit_for(self, organisation_id: int | None, scheme_owner_id: int | None = None) -> bool:
        """The admin's rule: the user edits records of their organisations, and of the schemes they run."""
        if self.user is not None and self.user.is_superuser:
            return True
        if organisation_id is not None and organisation_id in self.editor_organisation_ids:
            return True
        return scheme_owner_id is not None and scheme_owner_id in self.owned_scheme_owner_ids


class ReferenceCodeField(serializers.SlugRelatedField):
    """A reference (organisation, scheme, location, grade) by its code or name, in and out.

    Reading maps the stored id through the process's reference snapshot (schemes/reference.py: id-to-code
    tables kept until reference data changes), so a page of records needs neither a join per reference table
    (they made the list query several times slower on a million placements) nor a query per table."""

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
    """The code (or name, for locations) of one reference row, from the snapshot the request holds."""
    if pk is None:
        return None
    code = request_snapshot(context).codes(model).get(pk)
    if code is None:  # created since the snapshot was taken (its commit bumps the version for the next request)
        code = getattr(model.objects.get(pk=pk), "name" if model is Location else "code")
    return code


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A code the database keeps as "" when there is none yet (a placement with no outcome), shown as null like
    every other value not there yet (`latest_outcome_on`, `ended_on`): one "none" for clients to handle."""

    def to_representation(self, value):
        return super().to_representation(value) or None


class FullCleanSerializer(_RequestUserMixin, serializers.ModelSerializer):
    """A ModelSerializer whose validation is the model's `full_clean()`: one set of rules for every door."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # A copy, so a refused change leaves the instance as it was.
        instance = self.Meta.model() if self.instance is None else copy.copy(self.instance)
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            detail = serializers.as_serializer_error(error)
            if "__all__" in detail:
                detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
            raise serializers.ValidationError(detail) from error
        return attrs


RESTRICTED_CANDIDATE_FIELDS = ("given_name", "family_name", "email", "phone", "personal_adviser_contact")


class CandidateSerializer(FullCleanSerializer):
    """A care leaver. Name and contact details are only shown to those who may edit the record."""

    organisation = ReferenceCodeField(slug_field="code", queryset=Organisation.objects.all())

    class Meta:
        model = Candidate
        fields = [
            "id",
            "organisation",
            "reference",
            *RESTRICTED_CANDIDATE_FIELDS,
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
        extra_kwargs = {name: {"required": False} for name in RESTRICTED_CANDIDATE_FIELDS}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.may_edit_for(instance.organisation_id):
            for name in RESTRICTED_CANDIDATE_FIELDS:
                data.pop(name, None)
        return data

    def validate_organisation(self, organisation):
        if not self.may_edit_for(organisation.pk):
            raise serializers.ValidationError(f"You cannot add or change records of {organisation.code}.")
        return organisation


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
            self.fields["candidate"].queryset = Candidate.objects.for_user(self.user)

    def get_status(self, placement) -> str:
        return placement.status_on()

    @cached_property
    def _today(self) -> datetime.date:
        return timezone.localdate()

    @cached_property
    def _timezone(self) -> datetime.tzinfo:
        return timezone.get_current_timezone()

    @cached_property
    def _code_maps(self) -> tuple[dict[int, str], ...]:
        """Id-to-code maps of organisations, schemes, locations and grades, looked up once per page, not per row."""
        reference = request_snapshot(self.root.context)
        return tuple(reference.codes(model) for model in (Organisation, Scheme, Location, Grade))

    def to_representation(self, placement):
        """What the fields above give (tests/api compare the two), written out: walking DRF's 21 fields took
        15 ms of a 50-row page's 25. A page's rows come as PlacementRow (columns, and the candidate's reference read
        with them); a single placement (one read, or a write's answer) as a model instance."""
        if isinstance(placement, Placement):
            candidate_reference = placement.candidate.reference
        else:  # a PlacementRow of a page (placements/api/views.py)
            candidate_reference = placement.candidate_reference
        organisations, schemes, locations, grades = self._code_maps
        context, zone = self.root.context, self._timezone
        return {
            "id": placement.pk,
            "candidate": placement.candidate_id,
            "candidate_reference": candidate_reference,
            "organisation": _code(organisations, Organisation, placement.organisation_id, context),
            "scheme": _code(schemes, Scheme, placement.scheme_id, context),
            "business_unit": placement.business_unit,
            "location": _code(locations, Location, placement.location_id, context),
            "grade": _code(grades, Grade, placement.grade_id, context),
            "referred_on": _iso_date(placement.referred_on),
            "applied_on": _iso_date(placement.applied_on),
            "offered_on": _iso_date(placement.offered_on),
            "clearance_requested_on": _iso_date(placement.clearance_requested_on),
            "clearance_granted_on": _iso_date(placement.clearance_granted_on),
            "started_on": _iso_date(placement.started_on),
            "planned_end_on": _iso_date(placement.planned_end_on),
            "ended_on": _iso_date(placement.ended_on),
            "status": placement.status_on(self._today),
            "latest_outcome": placement.latest_outcome or None,
            "latest_outcome_on": _iso_date(placement.latest_outcome_on),
            "created_at": _iso_datetime(placement.created_at, zone),
            "updated_at": _iso_datetime(placement.updated_at, zone),
        }

    def validate(self, attrs):
        organisation = attrs.get("organisation", getattr(self.instance, "organisation", None))
        scheme = attrs.get("scheme", getattr(self.instance, "scheme", None))
        if not self.may_edit_for(organisation.pk, scheme.owner_id):
            raise serializers.ValidationError(
                {"organisation": f"You cannot add or change records of {organisation.code} on {scheme.code}."}
            )
        return super().validate(attrs)


def _code(codes: dict[int, str], model, pk: int | None, context: dict) -> str | None:
    """A reference's code from a map the serializer looked up once (a row created since is looked up itself)."""
    return codes[pk] if pk in codes else reference_code(model, pk, context)


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
            self.fields["placement"].queryset = Placement.objects.editable_by(self.user)
