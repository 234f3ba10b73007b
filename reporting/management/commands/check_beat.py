"""`manage.py check_beat`: exit 0 while beat's heartbeat is fresh, 1 (saying why) when it is not. The beat
container's health check (docker-compose.yml); /health/ reports the same."""

from django.core.management.base import BaseCommand, CommandError

from reporting.exports.health import beat_problem


class Command(BaseCommand):
    help = "Check that beat is alive (its heartbeat is recent); exit status 1 if it is not."

    def handle(self, **options):
        problem = beat_problem()
        if problem:
            raise CommandError(problem[0].upper() + problem[1:] + ("" if problem.endswith("?") else "."))
        self.stdout.write("Beat is alive.")
