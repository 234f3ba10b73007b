"""`manage.py seed_demo [--placements N] [--seed S] [--replace] [--no-users]`: demo data and demo users."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from placements.demo import DEMO_PASSWORD, DEMO_SEED, create_demo_records, ensure_demo_users, remove_demo_records


class Command(BaseCommand):
    help = (
        "Load realistic demo data (schemes, a council pledge, departments, sites, placements 2014 to this year, "
        "outcomes, offers waiting to start) and one demo user per role. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--placements", type=int, default=3000, help="How many placements (default 3000).")
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="Random seed; the same seed, the same data.")
        parser.add_argument("--replace", action="store_true", help="Delete the demo records first and start again.")
        parser.add_argument("--no-users", action="store_true", help="Records only, no demo users.")
        parser.add_argument(
            "--allow-demo-users-without-debug",
            action="store_true",
            help="Create the demo users (with their published password) even though DEBUG is off.",
        )

    def handle(self, placements, seed, replace, no_users, allow_demo_users_without_debug, **options):
        if placements < 1:
            raise CommandError("--placements must be at least 1.")
        if not no_users and not settings.DEBUG and not allow_demo_users_without_debug:
            raise CommandError(
                "The demo users share a published password, so they are only created for local use (DEBUG=true). "
                "Use --no-users for records only, or --allow-demo-users-without-debug if you really mean it."
            )
        began = time.monotonic()
        if replace:
            self.stdout.write(f"Removed {remove_demo_records()} demo candidates and their placements.")
        result = create_demo_records(placements=placements, seed=seed)
        if result.created:
            self.stdout.write(
                f"Created {result.placements} demo placements ({result.waiting} offers waiting to start), "
                f"{result.candidates} candidates and {result.outcomes} outcomes in {time.monotonic() - began:.1f}s."
            )
        else:
            self.stdout.write(
                f"Demo records already present ({result.placements} placements); nothing added "
                "(--replace starts again)."
            )
        if no_users:
            return
        users, token = ensure_demo_users()
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD} - local demo only, never for real data):")
        for username, role, organisation in users:
            self.stdout.write(f"  {username:<18} {role} at {organisation}")
        self.stdout.write(f"  API token for demo-api: {token}")
