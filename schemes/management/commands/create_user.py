"""`manage.py create_user USERNAME --role ROLE --organisation CODE [...]` (docs/interfaces.md section 4)."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from schemes.choices import Role
from schemes.services import AccountError, new_token, set_up_user


class Command(BaseCommand):
    help = "Create or update a member of staff or an API client, with a role at one or more organisations."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--organisation",
            action="append",
            required=True,
            dest="organisations",
            help="Organisation code; repeat for staff who work for several organisations.",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--token", action="store_true", help="Print a new API token for the user.")

    def handle(self, username, role, organisations, email, token, **options):
        password = None
        if role != Role.API:
            password = os.environ.get("NEW_USER_PASSWORD") or self._prompt_password()
        try:
            user = set_up_user(username, role, organisations, email=email, password=password)
        except AccountError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{username}: {Role(role).label} at {', '.join(m.organisation.code for m in user.memberships.all())}"
        )
        if token or role == Role.API:
            self.stdout.write(new_token(user))

    def _prompt_password(self) -> str | None:
        """Ask for a password when there is a terminal; keep the current one otherwise."""
        if not os.isatty(0):
            return None
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords did not match.")
        return first or None
