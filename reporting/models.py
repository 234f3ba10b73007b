"""The FOI request register: requests, clarification pauses, and the override table for holidays; the
statistics levels of API clients; and the release register (everything disclosure-controlled that left the
product, decision 0071).

Deadlines follow foi_dates.py; which requests a user sees follows their FOI memberships (`for_user`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from schemes.choices import OrganisationKind, Role
from schemes.models import Membership, Organisation, Scheme

from . import foi_dates

# How many working days ahead counts as "due soon" on the register.
DUE_SOON_WORKING_DAYS = 5
# The "appropriate limit" beyond which a request may be refused on cost (the FOI Fees Regulations 2004):
# central government (departments and their agencies) and everyone else, at a fixed hourly rate.
COST_LIMIT_CENTRAL_GOVERNMENT = 600
COST_LIMIT_OTHER = 450
COST_PER_HOUR = 25


class YearBasis(models.TextChoices):
    CALENDAR = "calendar", "Calendar years (January to December)"
    FINANCIAL = "financial", "Financial years (April to March)"


class FoiStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    CLARIFICATION = "clarification", "Clarification requested"
    IN_PROGRESS = "in_progress", "In progress"
    ANSWERED = "answered", "Answered"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (FoiStatus.RECEIVED, FoiStatus.CLARIFICATION, FoiStatus.IN_PROGRESS)


class HolidayOverrideKind(models.TextChoices):
    ADD = "add", "Extra holiday (not a working day)"
    REMOVE = "remove", "Not a holiday after all (a working day)"


class HolidayOverrideQuerySet(models.QuerySet):
    def calendar(self) -> foi_dates.WorkingCalendar:
        """The UK working-day calendar with these overrides applied (one query)."""
        rows = list(self.values_list("date", "kind"))
        return foi_dates.WorkingCalendar(
            extra_holidays=frozenset(day for day, kind in rows if kind == HolidayOverrideKind.ADD),
            not_holidays=frozenset(day for day, kind in rows if kind == HolidayOverrideKind.REMOVE),
        )


class HolidayOverride(models.Model):
    """A one-off correction to the UK holiday calendar, e.g. a bank holiday proclaimed for a state occasion
    after the `holidays` package was released."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=HolidayOverrideKind.choices, default=HolidayOverrideKind.ADD)
    history = HistoricalRecords()

    objects = HolidayOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y}: {self.name} ({self.get_kind_display()})"


class FoiRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        """Requests of the organisations where `user` is an FOI officer (and units under them); all for
        superusers; none for anyone else."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(organisation_id__in=Membership.objects.organisation_ids(user, [Role.FOI]))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def possibly_due_by(self, day: datetime.date):
        """Open requests whose deadline could fall on or before `day`: a database pre-filter (twenty working
        days always span at least 26 calendar days); the exact deadline is then worked out per request."""
        latest_receipt = day - datetime.timedelta(days=foi_dates.MIN_CALENDAR_DAYS_TO_DEADLINE)
        return self.open().filter(received_on__lte=latest_receipt)


@dataclass(frozen=True)
class Deadline:
    """Where a request stands against the statutory clock, as at `today`."""

    due_on: datetime.date | None  # None while the clock is stopped for a clarification
    today: datetime.date
    is_open: bool
    working_days_left: int | None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < self.today

    @property
    def is_due_soon(self) -> bool:
        return (
            self.is_open and self.working_days_left is not None and 0 <= self.working_days_left <= DUE_SOON_WORKING_DAYS
        )

    @property
    def label(self) -> str:
        if not self.is_open:
            return "Closed"
        if self.due_on is None:
            return "Clock stopped"
        if self.is_overdue:
            return "Overdue"
        if self.is_due_soon:
            return "Due soon"
        return "On time"


class FoiRequest(models.Model):
    """A Freedom of Information request about hires of care leavers, from receipt to answer."""

    reference = models.CharField(max_length=40, unique=True, help_text="Your FOI reference, e.g. FOI-2024-2480.")
    received_on = models.DateField("date received")
    questions = models.TextField(help_text="The requester's questions, as received.")
    requester = models.CharField(max_length=200, blank=True, help_text="Optional: who asked.")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="foi_requests", help_text="The organisation answering."
    )
    scheme = models.ForeignKey(
        Scheme, null=True, blank=True, on_delete=models.PROTECT, related_name="foi_requests", help_text="All if empty."
    )
    whole_scheme = models.BooleanField(
        default=False,
        help_text="Count the scheme's hires in every organisation, not only the answering one "
        "(for the organisation that runs the scheme).",
    )
    year_basis = models.CharField(max_length=10, choices=YearBasis.choices, default=YearBasis.CALENDAR)
    first_year = models.PositiveSmallIntegerField(null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=FoiStatus.choices, default=FoiStatus.RECEIVED)
    extension_days = models.PositiveSmallIntegerField(
        "public interest extension (working days)",
        default=0,
        validators=[MaxValueValidator(foi_dates.MAX_EXTENSION_WORKING_DAYS)],
    )
    extension_reason = models.TextField(blank=True)
    pack = models.FileField(upload_to="foi-packs/%Y/", blank=True)
    pack_generated_at = models.DateTimeField(null=True, blank=True)
    answered_on = models.DateField(null=True, blank=True)
    sent_summary = models.TextField("what was sent", blank=True)
    pack_sent_on = models.DateField(null=True, blank=True, help_text="When the pack went to the requester.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = FoiRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = "FOI request"
        constraints = [
            models.CheckConstraint(
                condition=Q(first_year__isnull=True) | Q(last_year__isnull=True) | Q(first_year__lte=F("last_year")),
                name="foi_request_years_in_order",
                violation_error_message="The first year must not be after the last year.",
            ),
            models.CheckConstraint(
                condition=Q(extension_days__lte=foi_dates.MAX_EXTENSION_WORKING_DAYS),
                name="foi_request_extension_at_most_20_days",
            ),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("received_on")),
                name="foi_request_answered_after_receipt",
                violation_error_message="A request cannot be answered before it was received.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def clean(self):
        """The rules of a request, whichever door it comes in by (the form, `foi.log_request`): one request per
        reference whatever its case, received by today, years that are published, and the whole scheme counted
        only by the organisation that runs it (or one it is part of)."""
        errors = {}
        if self.reference and FoiRequest.objects.filter(reference__iexact=self.reference).exclude(pk=self.pk).exists():
            errors["reference"] = "A request with this FOI reference is already in the register"
        if self.received_on and self.received_on > timezone.localdate():
            errors["received_on"] = "The date received must be today or in the past"
        earliest, latest = settings.PUBLISHED_FIRST_YEAR, timezone.localdate().year + 1
        for name, label in (("first_year", "first year"), ("last_year", "last year")):
            year = getattr(self, name)
            if year is not None and not earliest <= year <= latest:
                errors[name] = f"The {label} must be between {earliest} and {latest}"
        years_known = self.first_year is not None and self.last_year is not None
        if years_known and not errors.keys() & {"first_year", "last_year"} and self.first_year > self.last_year:
            errors["last_year"] = "The last year must be the same as or after the first year"
        if self.whole_scheme:
            if self.scheme_id is None:
                errors["whole_scheme"] = "Select the scheme to count in every organisation"
            elif self.organisation_id is not None and self.scheme.owner_id not in Organisation.objects.descendant_ids(
                [self.organisation_id]
            ):
                owner = self.scheme.owner
                errors["whole_scheme"] = (
                    f"Only {owner.name}, which runs {self.scheme.code}, can answer for every organisation on it"
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def open_pause(self) -> ClarificationPause | None:
        return next((pause for pause in self.pauses.all() if pause.answered_on is None), None)

    def due_on(self, calendar: foi_dates.WorkingCalendar, *, with_extension: bool = True) -> datetime.date | None:
        """The statutory deadline (None while waiting for a clarification). Uses prefetched pauses if any."""
        return foi_dates.due_date(
            self.received_on,
            extension_days=self.extension_days if with_extension else 0,
            pauses=[foi_dates.Pause(pause.asked_on, pause.answered_on) for pause in self.pauses.all()],
            calendar=calendar,
        )

    def deadline(self, calendar: foi_dates.WorkingCalendar, today: datetime.date) -> Deadline:
        due_on = self.due_on(calendar)
        return Deadline(
            due_on=due_on,
            today=today,
            is_open=self.is_open,
            working_days_left=None if due_on is None else foi_dates.working_days_between(today, due_on, calendar),
        )

    @property
    def cost_limit(self) -> int:
        """The appropriate limit in pounds for the organisation answering."""
        central = self.organisation.kind in (OrganisationKind.DEPARTMENT, OrganisationKind.AGENCY)
        return COST_LIMIT_CENTRAL_GOVERNMENT if central else COST_LIMIT_OTHER

    def cost_limit_description(self) -> str:
        return f"£{self.cost_limit} ({self.cost_limit // COST_PER_HOUR} hours at £{COST_PER_HOUR} an hour)"

    def scope_description(self) -> str:
        """The scope in words, for the register and the pack's file name."""
        scheme = self.scheme.code if self.scheme else "All schemes"
        where = "all organisations" if self.whole_scheme else self.organisation.code
        if self.first_year and self.last_year:
            years = f"{self.first_year} to {self.last_year}"
        elif self.first_year or self.last_year:
            years = f"from {self.first_year}" if self.first_year else f"up to {self.last_year}"
        else:
            years = "all years"
        basis = "financial years" if self.year_basis == YearBasis.FINANCIAL else "calendar years"
        return f"{scheme}, {where}, {years} ({basis})"


class ClarificationPause(models.Model):
    """The clock stopped while the requester was asked to clarify their request."""

    request = models.ForeignKey(FoiRequest, on_delete=models.CASCADE, related_name="pauses")
    asked_on = models.DateField("clarification asked on")
    answered_on = models.DateField("clarification received on", null=True, blank=True)
    note = models.TextField(blank=True, help_text="What was asked.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["asked_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True) | Q(answered_on__gte=F("asked_on")),
                name="clarification_answered_after_asked",
                violation_error_message="A clarification cannot be received before it was asked for.",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(answered_on__isnull=True),
                name="one_open_clarification_per_request",
                violation_error_message="This request is already waiting for a clarification.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request}: asked {self.asked_on}" + (f", received {self.answered_on}" if self.answered_on else "")


class Split(models.TextChoices):
    EACH = "each", "Each on its own"
    ALL = "all", "All together"


class StatisticsLevel(models.Model):
    """The one set of non-overlapping scopes a user's disclosure-controlled statistics come from.

    Each scope's figures are protected on their own (decision 0050). Two scopes that overlap (all organisations
    and ONS; all schemes and CLIS; the same hires in calendar and in financial years) could be subtracted from
    each other to give a hidden count away, so a user gets one level: organisations each on their own or all
    together, schemes likewise, and one year basis. Scopes within a level never share a hire. See
    docs/decisions/0053-statistics-levels.md. A user without a saved level has the default one: each
    organisation and each scheme on its own, in calendar years.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="statistics_level")
    organisations = models.CharField(
        max_length=4,
        choices=Split.choices,
        default=Split.EACH,
        help_text="Each organisation's figures on their own, or all organisations together (national figures).",
    )
    schemes = models.CharField(
        max_length=4,
        choices=Split.choices,
        default=Split.EACH,
        help_text="Each scheme's figures on their own, or all schemes together.",
    )
    year_basis = models.CharField(max_length=10, choices=YearBasis.choices, default=YearBasis.CALENDAR)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "statistics level"

    def __str__(self) -> str:
        return f"{self.user}: {self.describe()}"

    @classmethod
    def for_user(cls, user) -> StatisticsLevel:
        """The user's saved level, or the default one (unsaved)."""
        return cls.objects.filter(user=user).first() or cls(user=user)

    def describe(self) -> str:
        organisations = "each organisation" if self.organisations == Split.EACH else "all organisations together"
        schemes = "each scheme" if self.schemes == Split.EACH else "all schemes together"
        return f"{organisations}, {schemes}, {self.year_basis} years"


class ReleaseKind(models.TextChoices):
    PACK = "pack", "FOI pack"
    API = "api", "Statistics API answers"
    DASHBOARD = "dashboard", "Dashboard table"
    EXPORT = "export", "Scheduled export"


class ReleaseQuerySet(models.QuerySet):
    def related_to(self, scheme_id: int | None, organisation_id: int | None):
        """The releases a new one for this scheme and organisation (None: all) is audited together with
        (decision 0071): every release of the same top-level organisation (its parent, its units and their other
        units, on any scheme), and every release for all organisations that shares its scheme or is for all
        schemes. For all organisations: every release that shares the scheme."""
        shares_scheme = Q() if scheme_id is None else Q(scheme__isnull=True) | Q(scheme_id=scheme_id)
        if organisation_id is None:
            return self.filter(shares_scheme)
        tree = Organisation.objects.tree()
        top = tree.ancestor_ids(organisation_id)[-1]
        return self.filter(
            Q(organisation_id__in=sorted(tree.descendant_ids([top]))) | Q(organisation__isnull=True) & shares_scheme
        )

    def for_user(self, user):
        """Every release for superusers; for an FOI officer, those of the requests they see."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(foi_request__in=FoiRequest.objects.for_user(user))


class Release(models.Model):
    """Figures that left the product: an FOI pack, the statistics API's answers for a scope, a scheduled export
    (its run lists it: `ExportRun.releases`) and (to come) a dashboard table shown across organisations. It
    keeps what was shown, cell by cell (a number, or None where the symbol was shown; never a hidden count), so
    that a later release can be audited together with it (reporting/releases.py, decision 0071). Written once,
    never changed."""

    kind = models.CharField(max_length=10, choices=ReleaseKind.choices)
    released_at = models.DateTimeField(default=timezone.now)
    counted_at = models.DateTimeField(
        help_text="The hires counted: placements recorded by then and started by its date."
    )
    as_at = models.DateField(help_text="Latest outcomes as at this date.")
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    foi_request = models.ForeignKey(
        FoiRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="releases"
    )
    reference = models.CharField(max_length=40, blank=True, help_text="The FOI reference shown on the pack.")
    scheme = models.ForeignKey(Scheme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    year_basis = models.CharField(max_length=10, choices=YearBasis.choices)
    first_year = models.PositiveSmallIntegerField(null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(null=True, blank=True)
    threshold = models.PositiveSmallIntegerField()
    rounding_base = models.PositiveSmallIntegerField()
    tables = models.JSONField(help_text="Every table shown, with each cell's number (null where hidden).")
    content_hash = models.CharField(max_length=64, db_index=True)
    checked_against = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="checked_by")
    audit = models.JSONField(
        default=dict, blank=True, help_text="What the joint audit found: further cells hidden and why."
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-released_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "scheme"], name="release_scope")]

    def __str__(self) -> str:
        return self.describe()

    def scope_words(self) -> str:
        scheme = self.scheme.code if self.scheme_id else "all schemes"
        organisation = self.organisation.code if self.organisation_id else "all organisations"
        if self.first_year or self.last_year:
            years = f"{self.first_year or 'the first year'} to {self.last_year or 'the latest'}"
        else:
            years = "all years"
        return f"{scheme}, {organisation}, {years}, {self.year_basis} years"

    def describe(self) -> str:
        """The release in words, as an FOI officer reads it among those a pack was checked against."""
        when = f"{timezone.localtime(self.released_at):%-d %B %Y}"
        if self.kind == ReleaseKind.PACK:
            return f"the pack for {self.reference or 'a request'} ({self.scope_words()}) of {when}"
        return f"{self.get_kind_display().lower()} ({self.scope_words()}) of {when}"


# The scheduled exports' models live with the rest of the exports (reporting/exports/); Django finds them here.
from .exports.models import ExportedRecord, ExportRun, ExportSchedule, Heartbeat  # noqa: E402, F401
