"""`manage.py run_export --list` and `manage.py run_export NAME [--organisation CODE] [--scheme CODE]
[--period PERIOD]` (docs/interfaces.md section 5): one export now, through the same code path as a schedule."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting.exports.models import DEFAULT_FREQUENCY, EXPORT_DESCRIPTIONS, ExportKind, RequestedVia, RunStatus
from reporting.exports.periods import PERIOD_FORMS, Period, PeriodError
from reporting.exports.runs import RunError, execute_run, request_run
from reporting.exports.storage import export_storage
from schemes.models import Organisation, Scheme


class Command(BaseCommand):
    help = "Run one export now (or list them): the run is recorded, and asking again for the same period finds it."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="The export's name (see --list).")
        parser.add_argument("--list", action="store_true", help="Print the export names, one per line.")
        parser.add_argument("--organisation", help="Organisation code (required for records_extract).")
        parser.add_argument("--scheme", help="Scheme code, e.g. CLIS.")
        parser.add_argument("--period", help=f"{PERIOD_FORMS}; by default the last complete period.")

    def handle(self, *, name, list, organisation, scheme, period, **options):
        if list:
            width = max(len(kind) for kind in ExportKind.values)
            for kind in ExportKind.values:
                self.stdout.write(f"{kind:<{width}}  {EXPORT_DESCRIPTIONS[kind]}")
            return
        if not name:
            raise CommandError("Give an export name, or --list to see them.")
        if name not in ExportKind.values:
            raise CommandError(f"Unknown export {name!r}: choose one of {', '.join(ExportKind.values)} (--list).")
        organisation_row = self._find(Organisation, organisation, "organisation")
        scheme_row = self._find(Scheme, scheme, "scheme")
        try:
            chosen = Period.parse(period) if period else Period.last_complete(DEFAULT_FREQUENCY[name])
            run, created = request_run(
                name, chosen, organisation=organisation_row, scheme=scheme_row, via=RequestedVia.COMMAND, queue=False
            )
        except (PeriodError, RunError) as error:
            raise CommandError(str(error)) from error
        if run.status == RunStatus.DONE:
            self.stdout.write(
                f"Export run {run.pk} ({run}) already exists, done on "
                f"{timezone.localtime(run.finished_at):%-d %B %Y at %H:%M}: no second file made."
            )
        else:
            outcome = execute_run(run.pk, token=f"command-{uuid.uuid4().hex}")
            run.refresh_from_db()
            if outcome.wait is not None:
                raise CommandError(f"Export run {run.pk} ({run}) is being made by a worker now; ask again later.")
            if run.status == RunStatus.FAILED:
                raise CommandError(f"Export run {run.pk} ({run}) failed: {run.error}")
            self.stdout.write(f"Export run {run.pk} ({run}, {chosen.describe()}) is done: checksum {run.checksum}.")
        if not run.has_file:
            raise CommandError(f"Export run {run.pk}'s file was removed under the retention policy.")
        self.stdout.write(export_storage().path(run.file))

    @staticmethod
    def _find(model, code: str | None, what: str):
        if not code:
            return None
        row = model.objects.filter(code__iexact=code).first()
        if row is None:
            raise CommandError(f"Unknown {what} {code!r}.")
        return row
