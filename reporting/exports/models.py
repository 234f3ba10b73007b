"""Scheduled exports: what is made on a schedule (`ExportSchedule`), and every export made (`ExportRun`).

A run is unique for its export, scope (organisation and scheme) and period, in the database: Redis delivers a
task at least once and two beats would fire a schedule twice, so "the same period again" must find the same
run, never make a second one. Each schedule drives one django-celery-beat `PeriodicTask`, kept in step on
every save and delete, bulk `update()` and `delete()` included (decision 0075).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks
from simple_history.models import HistoricalRecords

from placements.access import GRANTS, RECORD_ROLES, Action
from schemes.choices import Role
from schemes.models import Membership, Organisation, Scheme

from .periods import Frequency, Period

FIRE_SCHEDULE_TASK = "reporting.fire_schedule"
# Months a schedule fires in (the first day of each, at EXPORT_SCHEDULE_HOUR_UTC): just after its period ends.
FIRING_MONTHS = {
    Frequency.MONTHLY: "*",
    Frequency.QUARTERLY: "1,4,7,10",
    Frequency.YEARLY: "1",
    Frequency.FINANCIAL_YEARLY: "4",
}
# Everyone who signs in to the staff pages; statistics exports of their organisations are theirs to see.
STATISTICS_ROLES = (Role.HR, Role.MANAGER, Role.FOI, Role.SCHEME_ADMIN)


class ExportKind(models.TextChoices):
    FOI_PACK = "foi_pack", "FOI-ready pack"
    PROGRESS_REPORT = "progress_report", "Pledge and target progress report"
    RECORDS_EXTRACT = "records_extract", "Records extract for HR"


# What each export is, for `run_export --list` and the exports page, and the frequency it runs at by default
# (the period `run_export` makes when none is given is the last complete one of it).
EXPORT_DESCRIPTIONS = {
    ExportKind.FOI_PACK: "The FOI-ready pack: the FOI pages' disclosure-controlled workbook (monthly).",
    ExportKind.PROGRESS_REPORT: "Each pledge or target against the hires in its period and their outcomes (quarterly).",
    ExportKind.RECORDS_EXTRACT: "One organisation's placements, under the hires import's headings, for HR (monthly).",
}
DEFAULT_FREQUENCY = {
    ExportKind.FOI_PACK: Frequency.MONTHLY,
    ExportKind.PROGRESS_REPORT: Frequency.QUARTERLY,
    ExportKind.RECORDS_EXTRACT: Frequency.MONTHLY,
}

# Exports that list individual records (personal data): their downloads are checked record by record against
# the access rule and written to the read audit.
PERSONAL_DATA_EXPORTS = {ExportKind.RECORDS_EXTRACT}


@dataclass(frozen=True)
class ExportScopes:
    """The export scopes (export, organisation, scheme) a user may see or change, as a filter for querysets
    (`q`) and as a test of one scope not yet saved (`allows`): the same sets, read once, decide both."""

    everything: bool = False
    statistics_organisations: frozenset = frozenset()  # statistics exports of these organisations...
    scheme_owners: frozenset = frozenset()  # ...and of every organisation on the schemes these own
    record_organisations: frozenset = frozenset()  # records extracts of these organisations

    def q(self) -> Q | None:
        """Over the fields `export`, `organisation_id` and `scheme_id`; None when everything is allowed."""
        if self.everything:
            return None
        organisations = self.statistics_organisations
        statistics = Q(organisation_id__in=organisations)
        statistics |= Q(organisation__isnull=True, scheme__owner_id__in=organisations)
        if self.scheme_owners:
            statistics |= Q(scheme__owner_id__in=self.scheme_owners)
        records = Q(organisation_id__in=self.record_organisations)
        return (~Q(export__in=PERSONAL_DATA_EXPORTS) & statistics) | (Q(export__in=PERSONAL_DATA_EXPORTS) & records)

    def any(self) -> bool:
        return self.everything or bool(self.statistics_organisations or self.scheme_owners or self.record_organisations)

    def allows(self, export: str, organisation: Organisation | None, scheme: Scheme | None) -> bool:
        if self.everything:
            return True
        if export in PERSONAL_DATA_EXPORTS:
            return organisation is not None and organisation.pk in self.record_organisations
        if organisation is not None and organisation.pk in self.statistics_organisations:
            return True
        if scheme is None:
            return False
        return scheme.owner_id in self.scheme_owners or (
            organisation is None and scheme.owner_id in self.statistics_organisations
        )


def _scopes(user, *, statistics_roles, owner_roles, record_roles) -> ExportScopes:
    if not user or not user.is_authenticated or not user.is_active:
        return ExportScopes()
    if user.is_superuser:
        return ExportScopes(everything=True)
    return ExportScopes(
        statistics_organisations=frozenset(Membership.objects.organisation_ids(user, statistics_roles)),
        scheme_owners=frozenset(Membership.objects.organisation_ids(user, owner_roles)),
        record_organisations=frozenset(Membership.objects.organisation_ids(user, record_roles)),
    )


def visible_scopes(user) -> ExportScopes:
    """Exports a user may see: statistics exports of their organisations (whole-scheme ones for staff of the
    scheme's owner, and every organisation's for its scheme administrators); records extracts of organisations
    whose records they work with. Whether they may open a records extract's file is then decided record by
    record, by the access rule (reporting/exports/downloads.py)."""
    return _scopes(user, statistics_roles=STATISTICS_ROLES, owner_roles=[Role.SCHEME_ADMIN], record_roles=RECORD_ROLES)


def changeable_scopes(user) -> ExportScopes:
    """Exports a user may schedule and run now: FOI officers and scheme administrators the statistics exports
    of their scope (FOI officers their organisations', scheme administrators those of the schemes they run),
    HR and scheme administrators the records extracts of their organisations."""
    return _scopes(
        user,
        statistics_roles=[Role.FOI],
        owner_roles=[Role.SCHEME_ADMIN],
        record_roles=GRANTS[Action.CHANGE].holder_roles,
    )


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        scope = visible_scopes(user).q()
        return self if scope is None else self.filter(scope)

    def changeable_by(self, user):
        scope = changeable_scopes(user).q()
        return self if scope is None else self.filter(scope)


class ExportScheduleQuerySet(ScopedQuerySet):
    """Bulk changes keep beat in step too: `update()` and `delete()` move the periodic tasks with them and
    django-celery-beat's change marker, which a bulk update of periodic tasks would not move on its own."""

    def update(self, **kwargs):
        with transaction.atomic(using=self.db):
            ids = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            for schedule in ExportSchedule.objects.filter(pk__in=ids).select_related("periodic_task"):
                schedule.sync_periodic_task()
            PeriodicTasks.update_changed()
        return count

    def delete(self):
        with transaction.atomic(using=self.db):
            task_ids = list(self.exclude(periodic_task=None).values_list("periodic_task_id", flat=True))
            result = super().delete()
            PeriodicTask.objects.filter(pk__in=task_ids).delete()
            PeriodicTasks.update_changed()
        return result


class ExportSchedule(models.Model):
    """Which export, for which scope, how often and for whom: beat asks for each period's run just after the
    period ends (the first day after it, at EXPORT_SCHEDULE_HOUR_UTC in UTC)."""

    name = models.CharField(max_length=120, help_text="What the recipients call it, e.g. CLIS FOI pack.")
    export = models.CharField(max_length=24, choices=ExportKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="export_schedules",
        help_text="Leave empty for a whole scheme (statistics exports only).",
    )
    scheme = models.ForeignKey(
        Scheme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="export_schedules",
        help_text="Leave empty for all schemes.",
    )
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="export_subscriptions",
        help_text="Emailed a link when each file is ready (only those who may see it).",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who set it up. A records extract lists the records its owner may see.",
    )
    enabled = models.BooleanField(default=True)
    periodic_task = models.OneToOneField(
        PeriodicTask, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="export_schedule"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["periodic_task"])

    objects = ExportScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["export", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic(using=router.db_for_write(ExportSchedule)):
            super().save(*args, **kwargs)
            self.sync_periodic_task()

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=router.db_for_write(ExportSchedule)):
            task = self.periodic_task
            result = super().delete(*args, **kwargs)
            if task is not None:
                task.delete()
        return result

    def clean(self):
        if self.export == ExportKind.RECORDS_EXTRACT and self.organisation_id is None:
            raise ValidationError({"organisation": "A records extract is for one organisation: choose it."})
        if self.export == ExportKind.RECORDS_EXTRACT and self.owner_id is None:
            raise ValidationError({"owner": "A records extract lists the records its owner may see: choose the owner."})

    def describe_scope(self) -> str:
        return describe_scope(self.organisation, self.scheme)

    def last_complete_period(self, now=None) -> Period:
        return Period.last_complete(self.frequency, now)

    def sync_periodic_task(self) -> PeriodicTask:
        """Create or update this schedule's periodic task (beat reloads when PeriodicTask.save moves the change
        marker). Crontabs are in UTC: beat then has no clock change to skip or repeat an hour."""
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="0",
            hour=str(settings.EXPORT_SCHEDULE_HOUR_UTC),
            day_of_month="1",
            month_of_year=FIRING_MONTHS[self.frequency],
            day_of_week="*",
            timezone="UTC",
        )
        name = f"Export schedule {self.pk}: {self.name}"[:200]
        # A task of this name left without its link (the schedule table restored from a backup) is this one's.
        task = self.periodic_task or PeriodicTask.objects.filter(name=name).first() or PeriodicTask()
        task.name = name
        task.task = FIRE_SCHEDULE_TASK
        task.crontab = crontab
        task.interval = None
        task.kwargs = json.dumps({"schedule_id": self.pk})
        task.enabled = self.enabled
        task.description = f"{self.get_export_display()}, {self.describe_scope()}, {self.get_frequency_display()}"
        task.save()
        if self.periodic_task_id != task.pk:
            self.periodic_task = task
            # The plain manager: this queryset's own update() would sync again (and write a history row).
            type(self)._base_manager.filter(pk=self.pk).update(periodic_task=task)
        return task


def describe_scope(organisation: Organisation | None, scheme: Scheme | None) -> str:
    """`CLIS, all organisations` / `all schemes, ONS`."""
    return f"{scheme.code if scheme else 'all schemes'}, {organisation.code if organisation else 'all organisations'}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RequestedVia(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    PAGE = "page", "Run now"
    COMMAND = "command", "Command line"


class ExportRunQuerySet(ScopedQuerySet):
    pass


class ExportRun(models.Model):
    """One export for one scope and period: when, what, asked for by which schedule or person, its status,
    file, checksum and (in words) what went wrong. The file is kept in private storage (EXPORTS_ROOT)."""

    export = models.CharField(max_length=24, choices=ExportKind.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="export_runs"
    )
    scheme = models.ForeignKey(Scheme, null=True, blank=True, on_delete=models.PROTECT, related_name="export_runs")
    period = models.CharField(max_length=7, help_text="2024, 2024-25, 2024-Q3 or 2024-09.")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    schedule = models.ForeignKey(ExportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_via = models.CharField(max_length=10, choices=RequestedVia.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Which task message holds the run now and until when; another may take over only after the lease.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    progress_note = models.CharField(max_length=200, blank=True)
    file = models.CharField(max_length=300, blank=True, help_text="Name in private storage (EXPORTS_ROOT).")
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file.")
    rows = models.PositiveIntegerField(null=True, blank=True)
    file_removed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="What went wrong, in words.")
    notified_at = models.DateTimeField(null=True, blank=True)
    releases = models.ManyToManyField(
        "reporting.Release",
        blank=True,
        related_name="export_runs",
        help_text="The releases in the register of the statistics in the file (none for a records extract).",
    )

    objects = ExportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                "export",
                Coalesce("organisation", Value(0)),
                Coalesce("scheme", Value(0)),
                "period",
                name="export_run_one_per_scope_and_period",
                violation_error_message="This export has already been asked for this scope and period.",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(checksum=""),
                name="export_run_done_has_checksum",
                violation_error_message="A finished export has a checksum.",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="export_run_status")]

    def __str__(self) -> str:
        return f"{self.get_export_display()}, {self.describe_scope()}, {self.period}"

    def describe_scope(self) -> str:
        return describe_scope(self.organisation, self.scheme)

    @property
    def period_object(self) -> Period:
        return Period.parse(self.period)

    @property
    def holds_personal_data(self) -> bool:
        return self.export in PERSONAL_DATA_EXPORTS

    @property
    def has_file(self) -> bool:
        return self.status == RunStatus.DONE and bool(self.file) and self.file_removed_at is None

    def release_checks(self) -> str | None:
        """What the joint audit checked the file's statistics against, in words, for the run's page (None for a
        run that released nothing: not done yet, or a records extract)."""
        releases = list(self.releases.prefetch_related("checked_against__scheme", "checked_against__organisation"))
        if not releases:
            return None
        own = {release.pk for release in releases}
        earlier = {
            other.pk: other for release in releases for other in release.checked_against.all() if other.pk not in own
        }
        if not earlier:
            return "No figures about these hires had been released before: they were checked on their own."
        ordered = sorted(earlier.values(), key=lambda release: (release.released_at, release.pk))
        text = (
            f"Checked together with {len(ordered)} earlier release(s) of figures about the same hires, so that read "
            f"together they give no hidden or small count away: {'; '.join(release.describe() for release in ordered)}."
        )
        extra = sum(len(release.audit.get("extra_hidden", [])) for release in releases)
        if extra:
            text += f" {extra} more count(s) are hidden in this file because of them."
        return text

    def requested_by_description(self) -> str:
        """Who or which schedule asked, for the exports page."""
        if self.requested_via == RequestedVia.SCHEDULE:
            return f"Schedule: {self.schedule.name}" if self.schedule else "A schedule since deleted"
        if self.requested_via == RequestedVia.COMMAND:
            return "Command line"
        return self.requested_by.get_username() if self.requested_by else "A user since deleted"

    def status_description(self) -> str:
        """The status in words, as the exports page and its progress announcements say it."""
        if self.status == RunStatus.QUEUED:
            return "Queued: waiting for a worker."
        if self.status == RunStatus.RUNNING:
            note = f" {self.progress_note}" if self.progress_note else ""
            return f"Running: {self.progress}% done.{note}"
        if self.status == RunStatus.FAILED:
            return f"Failed: {self.error}"
        if self.file_removed_at:
            return f"Done. The file was removed on {timezone.localtime(self.file_removed_at):%-d %B %Y} (retention)."
        return "Done."


class ExportedRecordQuerySet(models.QuerySet):
    def add(self, run: ExportRun, placement_ids: list[int]) -> None:
        """Record that these placements are in the run's file, in one INSERT (on PostgreSQL the ids go as one
        array parameter, as in placements.audit.record_reads)."""
        if not placement_ids:
            return
        connection = connections[router.db_for_write(ExportedRecord)]
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(ExportedRecord._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (run_id, placement_id) SELECT %s, unnest(%s::bigint[])",
                    [run.pk, list(placement_ids)],
                )
        else:
            self.bulk_create(ExportedRecord(run=run, placement_id=pk) for pk in placement_ids)


class ExportedRecord(models.Model):
    """A placement listed in a run's file: what a download must be allowed to see, and what it reads (audit).
    No foreign key to the placement: the file still holds a record deleted since."""

    # No index of its own: the unique constraint's index (run, placement) serves lookups by run as well, and
    # an extract writes one row per record, so each index costs.
    run = models.ForeignKey(ExportRun, on_delete=models.CASCADE, related_name="records", db_index=False)
    placement_id = models.BigIntegerField()

    objects = ExportedRecordQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "placement_id"], name="exported_record_once")]

    def __str__(self) -> str:
        return f"Placement {self.placement_id} in export run {self.run_id}"


class Heartbeat(models.Model):
    """When a process last said it was alive: beat writes `beat` every BEAT_HEARTBEAT_SECONDS
    (careleavers/beat.py), and /health/ reports beat stopped when it is older than BEAT_HEARTBEAT_MAX_AGE."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, now=None) -> None:
        cls.objects.update_or_create(name="beat", defaults={"at": now or timezone.now()})

    @classmethod
    def last(cls, name: str = "beat"):
        return cls.objects.filter(name=name).values_list("at", flat=True).first()
