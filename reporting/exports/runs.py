"""Making each export exactly once, though its task may arrive twice (decision 0076).

- `request_run` finds or creates THE run for an export, scope and period (unique in the database) and queues
  its task only once the transaction that asked has committed. Asking again returns the same run; a failed
  run asked again is queued again, as the same record.
- `execute_run` is the task's body. It first claims the run: a conditional UPDATE that only one task message
  can win, holding a lease for as long as an export may take. A message that finds the run done does nothing;
  one that finds another holding a live lease waits for it. The claimant writes the file under a temporary
  name, checks it (SHA-256, and that it is a whole xlsx), moves it into place, and only then marks the run done,
  again conditionally: a claimant that lost its lease removes its own file instead.
- A worker killed mid-run leaves a temporary file and a running run whose task Redis hands out again after the
  visibility timeout (or `requeue_stalled_runs` queues again); the next claimant deletes the leftovers first,
  so one good file and one done record remain.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..breakdowns import BreakdownError
from ..disclosure import DisclosureError
from . import builders
from .models import ExportedRecord, ExportKind, ExportRun, ExportSchedule, RequestedVia, RunStatus
from .periods import Period
from .storage import export_storage

logger = logging.getLogger(__name__)

# A run started this many times without finishing (its worker died, or the database kept failing) is given up,
# in words, rather than kill workers for ever.
MAX_ATTEMPTS = 10
# A queued run nobody has claimed after this long has lost its task message: queue it again.
STALLED_AFTER = datetime.timedelta(minutes=15)
PROGRESS_EVERY_SECONDS = 1.0


class RunError(ValueError):
    """A run that cannot be asked for as given; the message names what is wrong."""


def lease_length() -> datetime.timedelta:
    """How long a claimant holds a run: the hard time limit, after which its worker has stopped it."""
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _queue(run: ExportRun) -> None:
    from ..tasks import run_export

    run_export.delay_on_commit(run.pk)


def request_run(
    export: str,
    period: Period,
    *,
    organisation=None,
    scheme=None,
    schedule: ExportSchedule | None = None,
    user=None,
    via: str = RequestedVia.PAGE,
    queue: bool = True,
) -> tuple[ExportRun, bool]:
    """THE run of `export` for this scope and period, and whether this call created it. A new run (or a failed
    one asked for again) is queued when the transaction commits, unless `queue` is False (the command line runs
    it itself)."""
    if export not in ExportKind.values:
        raise RunError(f"Unknown export {export!r}: choose one of {', '.join(ExportKind.values)}.")
    if export == ExportKind.RECORDS_EXTRACT and organisation is None:
        raise RunError("A records extract is for one organisation: give the organisation.")
    with transaction.atomic():
        run, created = ExportRun.objects.get_or_create(
            export=export,
            organisation=organisation,
            scheme=scheme,
            period=period.label,
            defaults={"schedule": schedule, "requested_by": user, "requested_via": via},
        )
        again = (
            not created
            and ExportRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
                status=RunStatus.QUEUED, error="", progress=0, progress_note="", requested_at=timezone.now()
            )
            == 1
        )
        if again:
            run.refresh_from_db()
        if queue and (created or again):
            _queue(run)
    return run, created


@dataclass(frozen=True)
class Outcome:
    """What a task message did with its run: `wait` seconds before asking again when another holds it."""

    run: ExportRun | None
    done_now: bool = False
    wait: float | None = None


def claim(run_id: int, token: str) -> tuple[ExportRun | None, float | None]:
    """Take the run for the task message `token` (the same message keeps it across its own retries). Returns the
    run if claimed, else (None, seconds to wait) while another holds a live lease, else (None, None)."""
    now = timezone.now()
    held_by_nobody_or_this = Q(lease_until__lt=now) | Q(claimed_by=token)
    claimable = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING) & held_by_nobody_or_this
    claimed = ExportRun.objects.filter(claimable, pk=run_id).update(
        status=RunStatus.RUNNING,
        claimed_by=token,
        lease_until=now + lease_length(),
        started_at=now,
        attempts=F("attempts") + 1,
        progress=0,
        progress_note="Starting.",
    )
    if claimed:
        return ExportRun.objects.select_related("organisation", "scheme", "schedule__owner", "requested_by").get(
            pk=run_id
        ), None
    lease = ExportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).values_list("lease_until", flat=True).first()
    if lease is not None:
        return None, max(1.0, (lease - now).total_seconds())
    return None, None


def _temporary_path(run: ExportRun, token: str) -> Path:
    folder = Path(export_storage().path("tmp"))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"run-{run.pk}-{uuid.uuid5(uuid.NAMESPACE_URL, token).hex[:12]}-{run.attempts}.part"


def _remove_leftovers(run: ExportRun) -> None:
    """Files and listed records a dead attempt left behind; no other attempt holds the run now."""
    for leftover in Path(export_storage().path("tmp")).glob(f"run-{run.pk}-*.part"):
        leftover.unlink(missing_ok=True)
    storage = export_storage()
    folder = _folder(run)
    if storage.exists(folder):
        for name in storage.listdir(folder)[1]:
            if name.startswith(f"run-{run.pk}-"):
                storage.delete(f"{folder}/{name}")
    ExportedRecord.objects.filter(run=run).delete()


def download_name(run: ExportRun) -> str:
    """What the file is called when downloaded, e.g. `foi_pack-CLIS-all-organisations-2024-09.xlsx`."""
    parts = [
        run.export,
        run.scheme.code if run.scheme else "all-schemes",
        run.organisation.code if run.organisation else "all-organisations",
        run.period,
    ]
    return "-".join(parts).replace("/", "-").replace(" ", "_") + ".xlsx"


def _folder(run: ExportRun) -> str:
    return f"{run.export}/{run.period}"


def _final_name(run: ExportRun, suffix: str) -> str:
    return f"{_folder(run)}/run-{run.pk}-{suffix}.xlsx"


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _check_workbook(path: Path) -> None:
    """A whole xlsx: a zip archive whose every member reads back intact."""
    if not zipfile.is_zipfile(path):
        raise OSError(f"{path.name} is not an xlsx file")
    with zipfile.ZipFile(path) as archive:
        broken = archive.testzip()
        if broken is not None:
            raise OSError(f"{path.name} is damaged ({broken})")


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _Progress:
    """Writes a run's progress to its record (at most once a second), where the exports page reads it."""

    def __init__(self, run: ExportRun, token: str):
        self.run, self.token, self.last = run, token, 0.0

    def __call__(self, percent: int, note: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_SECONDS and percent < 100:
            return
        self.last = now
        ExportRun.objects.filter(pk=self.run.pk, claimed_by=self.token).update(
            progress=percent, progress_note=note[:200]
        )


def execute_run(run_id: int, token: str) -> Outcome:
    """Make the run's file, if this task message may (see the module's docstring)."""
    run, wait = claim(run_id, token)
    if run is None:
        return Outcome(None, wait=wait)
    if run.attempts > MAX_ATTEMPTS:
        fail(run, token, f"The export was started {MAX_ATTEMPTS} times without finishing, so it was given up.")
        return Outcome(run)
    _remove_leftovers(run)
    temporary = _temporary_path(run, token)
    try:
        built = builders.build(run, temporary, _Progress(run, token))
        _fsync(temporary)
        if settings.EXPORT_TEST_PAUSE_SECONDS:
            time.sleep(settings.EXPORT_TEST_PAUSE_SECONDS)  # tests only: a moment to kill the worker in
        _check_workbook(temporary)
        checksum = file_checksum(temporary)
        size = temporary.stat().st_size
        name = _final_name(run, checksum[:16])
        final = Path(export_storage().path(name))
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary.chmod(0o600)
        os.replace(temporary, final)
        _fsync(final.parent)
    except (DisclosureError, BreakdownError, builders.ExportAccessError, SoftTimeLimitExceeded, OSError) as error:
        temporary.unlink(missing_ok=True)
        fail(run, token, failure_in_words(error))
        return Outcome(run)
    except Exception:
        temporary.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        finished = ExportRun.objects.filter(pk=run.pk, claimed_by=token, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE,
            file=name,
            file_size=size,
            checksum=checksum,
            rows=built.rows,
            progress=100,
            progress_note="",
            finished_at=timezone.now(),
            lease_until=None,
            error="",
        )
        if finished:
            # The releases of this attempt's statistics; an attempt that died stays in the register unlisted
            # (its file never left, and a release recorded but not shown can only make later ones hide more).
            run.releases.set(built.releases)
        if finished and run.schedule_id:
            from ..tasks import notify_recipients

            notify_recipients.delay_on_commit(run.pk)
    if not finished:  # another claimant took over after this one's lease ran out: its file is the one
        export_storage().delete(name)
        logger.warning("Export run %s: lease lost before finishing; removed %s", run.pk, name)
        return Outcome(None)
    run.refresh_from_db()
    return Outcome(run, done_now=True)


def failure_in_words(error: BaseException) -> str:
    """What went wrong, for the exports page: never a traceback or a task's internals."""
    if isinstance(error, DisclosureError):
        return f"The figures could not be published safely, so no file was made: {error}"
    if isinstance(error, BreakdownError):
        return f"The export's scope could not be counted: {error}"
    if isinstance(error, builders.ExportAccessError):
        return str(error)
    if isinstance(error, SoftTimeLimitExceeded):
        minutes = settings.EXPORT_TIME_LIMIT_SECONDS / 60
        return f"The export took longer than {minutes:g} minutes and was stopped."
    if isinstance(error, OSError):
        return "The file could not be written to the exports folder. The details are in the worker's log."
    return "An unexpected error stopped the export. The details are in the worker's log."


def fail(run: ExportRun, token: str | None, reason: str) -> None:
    """Record a failure in words (only for the claimant `token`, when given); remove what it listed."""
    runs = ExportRun.objects.filter(pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    if token is not None:
        runs = runs.filter(claimed_by=token)
    if runs.update(status=RunStatus.FAILED, error=reason, finished_at=timezone.now(), lease_until=None):
        ExportedRecord.objects.filter(run=run).delete()
        logger.warning("Export run %s failed: %s", run.pk, reason)


def requeue_stalled_runs(now: datetime.datetime | None = None) -> int:
    """Queue again the runs whose task message was lost: queued long ago and never claimed, or running past
    their lease (their worker died and the broker has not handed the task out again)."""
    now = now or timezone.now()
    stalled = ExportRun.objects.filter(
        Q(status=RunStatus.QUEUED, requested_at__lt=now - STALLED_AFTER)
        | Q(status=RunStatus.RUNNING, lease_until__lt=now)
    )
    count = 0
    for run in stalled:
        _queue(run)
        count += 1
    return count


def remove_expired_files(now: datetime.datetime | None = None) -> int:
    """Delete the files of runs older than EXPORT_RETENTION_DAYS (the run records stay, saying so)."""
    now = now or timezone.now()
    expired = ExportRun.objects.filter(
        status=RunStatus.DONE,
        file_removed_at__isnull=True,
        finished_at__lt=now - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS),
    )
    storage = export_storage()
    count = 0
    for run in expired:
        storage.delete(run.file)
        with transaction.atomic():
            ExportedRecord.objects.filter(run=run).delete()
            ExportRun.objects.filter(pk=run.pk).update(file_removed_at=now)
        count += 1
    return count
