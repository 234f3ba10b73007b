"""Care leavers (candidates), their placements through the pipeline, and what happened to them.

Care experience is treated as special-category data: every list of records goes through `for_user`,
every change is kept by django-simple-history, and the rules that protect the data are database
constraints as well as form validation.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from schemes.models import Grade, Location, Organisation, Scheme

from . import rules
from .choices import ActivityCode, ContactMethod, LegalStatus, OutcomeCode, PlacementStatus

# A placement's dates, each judged against the date windows (placements/rules.py).
PLACEMENT_DATE_FIELDS = (
    "referred_on",
    "applied_on",
    "offered_on",
    "clearance_requested_on",
    "clearance_granted_on",
    "started_on",
    "planned_end_on",
    "ended_on",
    "last_contact_on",
)


class RecordQuerySet(models.QuerySet):
    """Candidates, placements and outcomes alike: who may see, change and see the personal details of which
    records is decided in placements/access.py alone."""

    def for_user(self, user):
        """The records `user` may see (`access.restrict` with Action.VIEW): the gate of every list."""
        from .access import restrict  # access.py reads these models, so it is imported when first asked

        return restrict(self, user)


class Candidate(models.Model):
    """A care leaver known to an organisation, by the organisation's own pseudonymous reference.

    Name and contact details are optional and restricted: reports never need them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="candidates")
    reference = models.CharField(max_length=64, help_text="The organisation's own pseudonymous id.")
    # Restricted personal details.
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Support and eligibility.
    date_of_birth = models.DateField(null=True, blank=True)
    legal_status = models.CharField(max_length=20, choices=LegalStatus.choices, blank=True)
    responsible_local_authority = models.CharField(max_length=120, blank=True)
    personal_adviser_contact = models.CharField(max_length=200, blank=True)
    english_level_2 = models.BooleanField(null=True, blank=True, verbose_name="English at Level 2")
    maths_level_2 = models.BooleanField(null=True, blank=True, verbose_name="maths at Level 2")
    needs_esol = models.BooleanField(default=False, verbose_name="needs ESOL")
    unaccompanied_asylum_seeking_child = models.BooleanField(default=False)
    right_to_work_restrictions = models.CharField(max_length=200, blank=True)
    neet_since = models.DateField(null=True, blank=True, verbose_name="NEET since")
    skills = models.TextField(blank=True)
    aspirations = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    consent_recorded_on = models.DateField(null=True, blank=True)
    anonymised_on = models.DateField(
        null=True, blank=True, help_text="Set when personal details were removed under the retention policy."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="candidate_reference_unique"),
            models.CheckConstraint(
                condition=~Q(reference=""),
                name="candidate_reference_not_empty",
                violation_error_message="A candidate needs a reference.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code}/{self.reference}"

    def clean(self):
        problems = rules.text_problems(reference=self.reference)
        if self.pk is not None and self.date_of_birth is not None:
            # Its placements' offers (or starts) as stored: a form changing both checks each placement too.
            for offered_on, started_on in self.placements.values_list("offered_on", "started_on"):
                if problem := rules.date_of_birth_problems(
                    self.date_of_birth, offered_on=offered_on, started_on=started_on
                ):
                    problems["date_of_birth"] = problem
                    break
        if problems:
            raise ValidationError(rules.as_sentences(problems))


class PlacementQuerySet(RecordQuerySet):
    def started(self):
        return self.filter(started_on__isnull=False)

    def with_status(self, as_at: datetime.date | None = None):
        """Annotate `status`, the pipeline stage as at a date (today by default)."""
        return self.annotate(status=status_expression(as_at or timezone.localdate()))

    def with_status_in(self, statuses, as_at: datetime.date | None = None):
        return self.with_status(as_at).filter(status__in=list(statuses))

    def refresh_latest_outcomes(self) -> int:
        """Copy each placement's latest outcome onto it (one UPDATE), for filters and current reports."""
        latest = Outcome.objects.filter(placement=OuterRef("pk")).order_by("-on", "-pk")
        return self.update(
            # A placement with no outcome left has an empty code (the column is NOT NULL), not NULL.
            latest_outcome=Coalesce(Subquery(latest.values("code")[:1]), Value("")),
            latest_outcome_on=Subquery(latest.values("on")[:1]),
        )


def status_expression(as_at: datetime.date):
    """The pipeline stage as an SQL CASE; mirrors `Placement.status_on` (tests keep them in step)."""
    return Case(
        When(Q(started_on__isnull=True, latest_outcome=OutcomeCode.WITHDREW), then=Value(PlacementStatus.WITHDRAWN)),
        When(ended_on__lte=as_at, then=Value(PlacementStatus.ENDED)),
        When(started_on__lte=as_at, then=Value(PlacementStatus.STARTED)),
        When(clearance_granted_on__lte=as_at, then=Value(PlacementStatus.CLEARED)),
        When(clearance_requested_on__lte=as_at, then=Value(PlacementStatus.CHECKS)),
        When(offered_on__lte=as_at, then=Value(PlacementStatus.OFFERED)),
        When(applied_on__lte=as_at, then=Value(PlacementStatus.APPLIED)),
        default=Value(PlacementStatus.REFERRED),
        output_field=models.CharField(),
    )


class Placement(models.Model):
    """One care leaver's placement with an employer on a scheme, from referral to the end."""

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="placements")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="placements", help_text="The employer."
    )
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="placements")
    business_unit = models.CharField(max_length=120, blank=True, help_text="Directorate, team or profession.")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="placements")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="placements")
    referred_on = models.DateField(null=True, blank=True)
    applied_on = models.DateField(null=True, blank=True)
    offered_on = models.DateField(null=True, blank=True, verbose_name="offer date")
    clearance_requested_on = models.DateField(null=True, blank=True, verbose_name="security clearance requested")
    clearance_granted_on = models.DateField(null=True, blank=True, verbose_name="security clearance granted")
    started_on = models.DateField(null=True, blank=True, verbose_name="start date")
    planned_end_on = models.DateField(null=True, blank=True, verbose_name="planned end date")
    ended_on = models.DateField(null=True, blank=True, verbose_name="end date")
    last_contact_on = models.DateField(
        null=True,
        blank=True,
        verbose_name="last contact",
        help_text="When the candidate was last contacted, so offers waiting to start are not left in silence.",
    )
    # Kept in step with the outcome history by `refresh_latest_outcomes`; never edited by hand.
    latest_outcome = models.CharField(max_length=20, choices=OutcomeCode.choices, blank=True, editable=False)
    latest_outcome_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["latest_outcome", "latest_outcome_on", "updated_at"])

    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-offered_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "scheme", "started_on"],
                condition=Q(started_on__isnull=False),
                name="placement_unique_start",
                violation_error_message="This candidate already has a placement on this scheme with this start date.",
            ),
            models.UniqueConstraint(
                fields=["candidate", "scheme", "offered_on"],
                condition=Q(offered_on__isnull=False),
                name="placement_unique_offer",
                violation_error_message="This candidate already has a placement on this scheme with this offer date.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__isnull=False, ended_on__gte=F("started_on")),
                name="placement_end_not_before_start",
                violation_error_message="The end date cannot be before the start date, or set without one.",
            ),
            models.CheckConstraint(
                condition=Q(planned_end_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(planned_end_on__gte=F("started_on")),
                name="placement_planned_end_not_before_start",
                violation_error_message="The planned end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(offered_on__isnull=True) | Q(started_on__isnull=True) | Q(started_on__gte=F("offered_on")),
                name="placement_start_not_before_offer",
                violation_error_message="The start date cannot be before the offer date.",
            ),
            models.CheckConstraint(
                condition=Q(applied_on__isnull=True) | Q(offered_on__isnull=True) | Q(offered_on__gte=F("applied_on")),
                name="placement_offer_not_before_application",
                violation_error_message="The offer date cannot be before the application date.",
            ),
            models.CheckConstraint(
                condition=Q(clearance_requested_on__isnull=True)
                | Q(clearance_granted_on__isnull=True)
                | Q(clearance_granted_on__gte=F("clearance_requested_on")),
                name="placement_clearance_granted_after_request",
                violation_error_message="Security clearance cannot be granted before it was requested.",
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=False)
                | Q(offered_on__isnull=False)
                | Q(applied_on__isnull=False)
                | Q(referred_on__isnull=False),
                name="placement_has_a_pipeline_date",
                violation_error_message="A placement needs at least a referral, application, offer or start date.",
            ),
        ]
        indexes = [
            # Carries every column a breakdown groups by, so one department's counts are an index-only scan.
            models.Index(
                fields=["organisation", "started_on", "scheme", "location", "grade", "latest_outcome"],
                name="placement_org_start_breakdown",
            ),
            models.Index(fields=["scheme", "started_on"], name="placement_scheme_start"),
            # A page of one organisation's records, newest first: its ids without visiting the table (the API).
            models.Index(fields=["organisation", "id"], name="placement_org_id"),
            # A page of one organisation's placements on a scheme that started in a year or date range: the
            # matching ids from the index alone, then sorted (walking the newest first visited ~17,000 rows).
            models.Index(fields=["organisation", "scheme", "started_on", "id"], name="placement_org_scheme_start"),
            models.Index(fields=["started_on"], name="placement_started_on"),
            # The pipeline's waits from offer to start of a year's hires, counted from the index alone.
            models.Index(fields=["started_on", "scheme", "organisation", "offered_on"], name="placement_start_waits"),
            # Offers not started (the pipeline's waiting list), by organisation, oldest offer first.
            models.Index(
                fields=["organisation", "offered_on"], condition=Q(started_on__isnull=True), name="placement_waiting"
            ),
        ]

    def __str__(self) -> str:
        when = self.started_on or self.offered_on or self.applied_on or self.referred_on
        return f"{self.candidate} on {self.scheme.code} ({when:%d/%m/%Y})" if when else str(self.candidate)

    def clean(self):
        scheme = self.scheme if self.scheme_id else None
        problems = rules.date_window_problems(
            {name: getattr(self, name) for name in PLACEMENT_DATE_FIELDS},
            scheme_first_year=scheme and scheme.first_year,
            scheme=scheme.code if scheme else "",
        )
        for name, problem in rules.placement_date_problems(
            referred_on=self.referred_on,
            applied_on=self.applied_on,
            offered_on=self.offered_on,
            clearance_requested_on=self.clearance_requested_on,
            clearance_granted_on=self.clearance_granted_on,
            started_on=self.started_on,
            planned_end_on=self.planned_end_on,
            ended_on=self.ended_on,
        ).items():
            problems.setdefault(name, problem)
        problems.update(rules.text_problems(business_unit=self.business_unit))
        date_of_birth = self.candidate.date_of_birth if self.candidate_id else None
        if problem := rules.date_of_birth_problems(
            date_of_birth, offered_on=self.offered_on, started_on=self.started_on
        ):
            # Said on the date it is judged against: the placement's form has no date of birth.
            problems.setdefault("offered_on" if self.offered_on else "started_on", f"date of birth {problem}")
        if self.candidate_id and self.organisation_id and self.candidate.organisation_id != self.organisation_id:
            problems["organisation"] = "the employer must be the organisation that holds the candidate's record"
        if problems:
            raise ValidationError(rules.as_sentences(problems))

    def status_on(self, as_at: datetime.date | None = None) -> str:
        """The pipeline stage as at a date; the Python twin of `status_expression`."""
        as_at = as_at or timezone.localdate()
        if self.started_on is None and self.latest_outcome == OutcomeCode.WITHDREW:
            return PlacementStatus.WITHDRAWN
        for day, status in (
            (self.ended_on, PlacementStatus.ENDED),
            (self.started_on, PlacementStatus.STARTED),
            (self.clearance_granted_on, PlacementStatus.CLEARED),
            (self.clearance_requested_on, PlacementStatus.CHECKS),
            (self.offered_on, PlacementStatus.OFFERED),
            (self.applied_on, PlacementStatus.APPLIED),
        ):
            if day is not None and day <= as_at:
                return status
        return PlacementStatus.REFERRED


class Outcome(models.Model):
    """One entry in a placement's outcome history; reports use the latest as at their date."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="outcomes")
    code = models.CharField(max_length=20, choices=OutcomeCode.choices, verbose_name="outcome")
    on = models.DateField(verbose_name="outcome date")
    destination_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For transfers: where the person went.",
    )
    activity_code = models.CharField(
        max_length=2,
        choices=ActivityCode.choices,
        blank=True,
        verbose_name="SSDA903 activity",
        help_text="For council schemes: the care leaver's activity afterwards.",
    )
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["placement", "on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "code", "on"], name="outcome_unique_per_day"),
            models.CheckConstraint(
                condition=Q(destination_organisation__isnull=True) | Q(code=OutcomeCode.TRANSFERRED),
                name="outcome_destination_only_for_transfers",
                violation_error_message="A destination organisation is only recorded for transfers.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} on {self.on:%d/%m/%Y}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        Placement.objects.filter(pk=self.placement_id).refresh_latest_outcomes()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        Placement.objects.filter(pk=self.placement_id).refresh_latest_outcomes()
        return result

    def clean(self):
        placement = self.placement if self.placement_id else None
        if placement is None or not self.code:
            return
        problems = rules.date_window_problems(
            {"on": self.on}, scheme_first_year=placement.scheme.first_year, scheme=placement.scheme.code
        )
        for name, problem in rules.outcome_problems(
            code=self.code,
            on=self.on,
            started_on=placement.started_on,
            has_destination=self.destination_organisation_id is not None,
        ).items():
            problems.setdefault(name, problem)
        if problems:
            raise ValidationError(rules.as_sentences(problems))


class Contact(models.Model):
    """One contact with a candidate about their placement, kept so offers waiting to start are not left in
    silence ("communicate at every stage, and also when nothing is happening").

    Recorded through `placements.contacts.record_contact`, which checks the access rule and keeps
    `Placement.last_contact_on` in step; every change is kept by django-simple-history."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="contacts")
    contacted_on = models.DateField(verbose_name="date of contact")
    method = models.CharField(max_length=20, choices=ContactMethod.choices)
    note = models.TextField(blank=True, help_text="What was said or agreed; no more personal detail than needed.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["placement", "-contacted_on", "-pk"]
        indexes = [models.Index(fields=["placement", "contacted_on"], name="contact_placement_on")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} on {self.contacted_on:%d/%m/%Y}"

    def clean(self):
        placement = self.placement if self.placement_id else None
        if placement is None or self.contacted_on is None:
            return
        problems = rules.date_window_problems(
            {"contacted_on": self.contacted_on},
            scheme_first_year=placement.scheme.first_year,
            scheme=placement.scheme.code,
        )
        if self.contacted_on > timezone.localdate():
            problems["contacted_on"] = "the date of contact must be today or in the past"
        problems.update(rules.text_problems(note=self.note))
        if problems:
            raise ValidationError(rules.as_sentences(problems))


class RecordAccess(models.Model):
    """One read of a care leaver's record by a person (docs/domain.md: every read is audited).

    Written by `placements.audit`; changes are kept separately by django-simple-history."""

    class How(models.TextChoices):
        ADMIN_PAGE = "admin_page", "Opened the record in the admin"
        ADMIN_HISTORY = "admin_history", "Opened the record's history in the admin"
        API = "api", "Read through the API"
        EXPORT = "export", "Included in an export"
        DASHBOARD = "dashboard", "Listed on a dashboard page"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_accesses")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No index of its own: recordaccess_record_at starts with it (one index fewer to write on every page read).
    record_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("record_type", "record_id")
    how = models.CharField(max_length=20, choices=How.choices)
    path = models.CharField(max_length=300, blank=True, help_text="The page or endpoint used.")

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "record access"
        verbose_name_plural = "record accesses"
        indexes = [models.Index(fields=["record_type", "record_id", "at"], name="recordaccess_record_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_how_display().lower()} ({self.record_type.model} {self.record_id})"


class HiresUpload(models.Model):
    """A hires spreadsheet the admin's import has checked, waiting for its user to confirm it.

    Kept only by `placements.uploads`: the confirm page carries a signed token naming it, never a path; it is
    deleted when imported, when the import is refused at confirmation, and once it has waited longer than
    `IMPORT_CONFIRM_SECONDS` (docs/decisions/0022). Not in the admin: it holds a whole spreadsheet of personal
    data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    file_name = models.CharField(max_length=255)
    format = models.PositiveSmallIntegerField(help_text="The position of the file's format in the import's list.")
    content = models.BinaryField()

    def __str__(self) -> str:
        return f"{self.file_name} ({self.user}, {self.uploaded_at:%Y-%m-%d %H:%M})"
