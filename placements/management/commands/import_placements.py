"""`python manage.py import_placements FILE.xlsx|FILE.csv [--dry-run] [--user USERNAME]`
(docs/interfaces.md section 1)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from placements.importing import UnreadableFile, import_placements_file


class Command(BaseCommand):
    help = "Import a hires spreadsheet (.xlsx or .csv), all or nothing; every problem is reported by row and heading."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the hires spreadsheet, .xlsx or .csv")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, but save nothing")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="the member of staff importing: only records they may file are accepted, and the records' "
            "history names them (without it: any organisation, and no user in the history)",
        )

    def handle(self, *args, file: str, dry_run: bool, user: str | None, **options):
        importer = None
        if user is not None:
            importer = get_user_model().objects.filter(username=user, is_active=True).first()
            if importer is None:
                raise CommandError(f"There is no active user {user!r}.")
        reason = f"Imported from {Path(file).name} on the command line"
        try:
            result = import_placements_file(file, dry_run=dry_run, user=importer, change_reason=reason)
        except (UnreadableFile, OSError) as error:
            raise CommandError(str(error)) from error
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(str(problem))
            if result.unlisted_problems:
                self.stderr.write(
                    f"... and {result.unlisted_problems:,} more problems (the first {len(result.errors):,} are listed)."
                )
            found = result.problems_found
            raise CommandError(
                f"Nothing was saved: {found:,} problem{'s' if found != 1 else ''} in {result.rows_read} rows read."
            )
        self.stdout.write(self.style.SUCCESS(result.summary()))
