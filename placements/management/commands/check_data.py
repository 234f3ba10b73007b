"""`python manage.py check_data`: the stored records whose dates lie outside the date windows (decision 0017)."""

from django.core.management.base import BaseCommand, CommandError

from placements.data_checks import outside_date_windows


class Command(BaseCommand):
    help = (
        "List stored placements, outcomes and candidates whose dates lie outside the date windows every door now "
        "applies (a scheme's first year to a short way ahead of today; a candidate 14 to 30 at the offer). "
        "Exit status 1 if there are any."
    )

    def handle(self, *args, **options):
        found = 0
        for problem in outside_date_windows():
            self.stdout.write(str(problem))
            found += 1
        if found:
            raise CommandError(
                f"{found} stored date{'s lie' if found != 1 else ' lies'} outside the date windows; correct them in "
                "the admin (or import the corrected rows)."
            )
        self.stdout.write(self.style.SUCCESS("Every stored date lies within the date windows."))
