"""`python manage.py import_placements FILE.xlsx|FILE.csv [--dry-run]` (docs/interfaces.md section 1)."""

from django.core.management.base import BaseCommand, CommandError

from placements.importing import UnreadableFile, import_placements_file


class Command(BaseCommand):
    help = "Import a hires spreadsheet (.xlsx or .csv), all or nothing; every problem is reported by row and heading."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the hires spreadsheet, .xlsx or .csv")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, but save nothing")

    def handle(self, *args, file: str, dry_run: bool, **options):
        try:
            result = import_placements_file(file, dry_run=dry_run)
        except (UnreadableFile, OSError) as error:
            raise CommandError(str(error)) from error
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Nothing was saved: {len(result.errors)} problem{'s' if len(result.errors) != 1 else ''} "
                f"in {result.rows_read} rows read."
            )
        self.stdout.write(self.style.SUCCESS(result.summary()))
