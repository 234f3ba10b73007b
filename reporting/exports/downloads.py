"""Who may open an export's file, and the read audit of those that hold personal data.

A statistics export may be opened by whoever may see its scope (`ExportRun.objects.for_user`). A records
extract holds care leavers' records: it may be opened only by someone the access rule lets see every record
listed in it, and each opening is written to the read audit, record by record.
"""

from __future__ import annotations

from placements.audit import record_reads
from placements.models import Placement, RecordAccess

from . import sources
from .models import ExportedRecord, ExportRun


def may_open(user, run: ExportRun) -> bool:
    if not ExportRun.objects.for_user(user).filter(pk=run.pk).exists():
        return False
    if run.holds_personal_data:
        return sources.sees_every_placement(user, ExportedRecord.objects.filter(run=run))
    return True


def record_opening(user, run: ExportRun, path: str) -> int:
    """Write one read of each record in the file by `user` (nothing for statistics exports)."""
    if not run.holds_personal_data:
        return 0
    listed = Placement.objects.filter(pk__in=ExportedRecord.objects.filter(run=run).values("placement_id"))
    return record_reads(user, listed, RecordAccess.How.EXPORT, path)
