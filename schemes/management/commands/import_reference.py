"""`python manage.py import_reference FILE.xlsx [--dry-run]` (docs/interfaces.md section 1, "Reference data")."""

from django.core.management.base import BaseCommand, CommandError

from schemes.importing import import_reference_file
from schemes.spreadsheets import UnreadableFile


class Command(BaseCommand):
    help = (
        "Load organisations, locations, schemes, grades and targets from a workbook, all or nothing; "
        "rows are matched on Code, so loading twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the reference data workbook (.xlsx)")
        parser.add_argument("--dry-run", action="store_true", help="check the workbook and report, but save nothing")

    def handle(self, *args, file: str, dry_run: bool, **options):
        if not file.lower().endswith(".xlsx"):
            raise CommandError(f"{file}: the reference data must be an .xlsx workbook.")
        try:
            result = import_reference_file(file, dry_run=dry_run)
        except (UnreadableFile, OSError) as error:
            raise CommandError(str(error)) from error
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(str(problem))
            raise CommandError(f"Nothing was saved: {len(result.errors)} problem(s) in the workbook.")
        self.stdout.write(self.style.SUCCESS(result.summary()))
