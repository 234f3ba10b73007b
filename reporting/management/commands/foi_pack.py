"""`manage.py foi_pack --out FILE.xlsx [--scheme CODE] [--organisation CODE] [--year-basis calendar|financial]
[--from YEAR] [--to YEAR] [--request REFERENCE]` (docs/interfaces.md section 2)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reporting.breakdowns import BreakdownError, Scope
from reporting.dimensions import YEAR_BASES
from reporting.disclosure import DisclosureError
from reporting.foi import scope_of
from reporting.models import FoiRequest
from reporting.packs import build_pack_with_details

# Command-line option -> Scope field, for options a logged request's scope may be checked against.
SCOPE_OPTIONS = {
    "--scheme": "scheme",
    "--organisation": "organisation",
    "--year-basis": "year_basis",
    "--from": "first_year",
    "--to": "last_year",
}


class Command(BaseCommand):
    help = "Build the FOI pack (xlsx) for a scheme, organisation and years, disclosure-controlled and audited."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Where to write the workbook (.xlsx).")
        parser.add_argument("--scheme", help="Scheme code, e.g. CLIS or GFiE.")
        parser.add_argument("--organisation", help="Organisation code; organisations nested under it are included.")
        parser.add_argument("--year-basis", choices=YEAR_BASES, help="calendar (the default) or financial.")
        parser.add_argument("--from", dest="first_year", type=int, help="First year (of a financial year: 2023).")
        parser.add_argument("--to", dest="last_year", type=int, help="Last year (of a financial year: 2023).")
        parser.add_argument(
            "--request",
            default="",
            help="The FOI request's reference, shown on the Cover. A request logged in the register brings its "
            "scope; scope options given as well must agree with it.",
        )

    def handle(self, *, out, scheme, organisation, year_basis, first_year, last_year, request, **options):
        given = {"scheme": scheme, "organisation": organisation, "year_basis": year_basis}
        given |= {"first_year": first_year, "last_year": last_year}
        logged = FoiRequest.objects.filter(reference__iexact=request).first() if request else None
        try:
            if logged is None:
                scope = Scope(**{**given, "year_basis": year_basis or "calendar"})
            else:
                scope = self.scope_of_logged(logged, given)
            pack = build_pack_with_details(scope, reference=logged.reference if logged else request, foi_request=logged)
        except (BreakdownError, DisclosureError) as error:
            raise CommandError(str(error)) from error
        if request and logged is None:
            self.stdout.write(f"{request} is not in the FOI register: the reference is shown on the Cover only.")
        path = Path(out)
        path.write_bytes(pack.content)
        released, family = pack.released, pack.family
        self.stdout.write(
            f"Wrote {path} ({released.scope.describe()}): {len(released.tables)} tables, {released.hidden_count} "
            f"cells shown as {family.rule.symbol}; disclosure audit passed for {family.hidden_values_audited} "
            f"hidden values."
        )
        earlier = list(released.record.checked_against.all())
        self.stdout.write(
            f"Checked together with {len(earlier)} earlier release(s) of the same hires"
            + (": " + "; ".join(release.describe() for release in earlier) if earlier else "")
            + f" ({released.joint.counts_checked} counts checked)."
        )
        for extra in released.joint.extra:
            self.stdout.write(f"Also hidden: {extra.cell}. {extra.reason}")
        for known in released.joint.already_known:
            self.stdout.write(f"Warning: already given away by earlier releases, whatever this pack shows: {known}.")

    @staticmethod
    def scope_of_logged(logged: FoiRequest, given: dict) -> Scope:
        """The logged request's scope; an option that says otherwise is a mistake worth stopping for."""
        scope = scope_of(logged)
        for option, field in SCOPE_OPTIONS.items():
            asked, logged_value = given[field], getattr(scope, field)
            if asked is not None and str(asked).lower() != str(logged_value).lower():
                raise CommandError(
                    f"{option}: {asked} does not match {logged.reference} in the FOI register "
                    f"({field.replace('_', ' ')}: {logged_value if logged_value is not None else 'all'}). "
                    "Leave the option out to use the request's scope, or change the request."
                )
        return scope
