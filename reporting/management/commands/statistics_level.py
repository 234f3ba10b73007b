"""`manage.py statistics_level USERNAME [--organisations each|all] [--schemes each|all] [--year-basis ...]`.

Shows, or sets, which scopes a user's disclosure-controlled statistics come from (decision 0053).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reporting.models import Split, StatisticsLevel, YearBasis


class Command(BaseCommand):
    help = (
        "Show or set a user's statistics level: organisations each on their own or all together (national), "
        "schemes likewise, and one year basis. Without options it prints the current level."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organisations", choices=Split.values, help="each (the default) or all (national)")
        parser.add_argument("--schemes", choices=Split.values, help="each (the default) or all")
        parser.add_argument("--year-basis", choices=YearBasis.values, help="calendar (the default) or financial")

    def handle(self, username, organisations, schemes, year_basis, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}; create it first with create_user.")
        level = StatisticsLevel.for_user(user)
        changes = {"organisations": organisations, "schemes": schemes, "year_basis": year_basis}
        if any(changes.values()):
            for field, value in changes.items():
                if value:
                    setattr(level, field, value)
            level.save()
        self.stdout.write(f"{username}: {level.describe()}")
