"""`manage.py foi_pack --out FILE.xlsx [--scheme CODE] [--organisation CODE] [--year-basis calendar|financial]
[--from YEAR] [--to YEAR] [--request REFERENCE]` (interfaces.md section 2)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reporting.breakdowns import YEAR_BASES, BreakdownError, Scope
from reporting.disclosure import DisclosureError
from reporting.packs import build_pack_with_details


class Command(BaseCommand):
    help = "Build the FOI pack (xlsx) for a scheme, organisation and years, disclosure-controlled and audited."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Where to write the workbook (.xlsx).")
        parser.add_argument("--scheme", help="Scheme code, e.g. CLIS or GFiE.")
        parser.add_argument("--organisation", help="Organisation code; organisations nested under it are included.")
        parser.add_argument("--year-basis", choices=YEAR_BASES, default="calendar")
        parser.add_argument("--from", dest="first_year", type=int, help="First year (of a financial year: 2023).")
        parser.add_argument("--to", dest="last_year", type=int, help="Last year (of a financial year: 2023).")
        parser.add_argument("--request", default="", help="The FOI request's reference, shown on the Cover.")

    def handle(self, *, out, scheme, organisation, year_basis, first_year, last_year, request, **options):
        try:
            scope = Scope(
                scheme=scheme,
                organisation=organisation,
                year_basis=year_basis,
                first_year=first_year,
                last_year=last_year,
            )
            pack = build_pack_with_details(scope, reference=request)
        except (BreakdownError, DisclosureError) as error:
            raise CommandError(str(error)) from error
        path = Path(out)
        path.write_bytes(pack.content)
        hidden = sum(len(table.hidden) for table in pack.tables)
        self.stdout.write(
            f"Wrote {path} ({scope.describe()}): {len(pack.tables)} tables, {hidden} cells shown as "
            f"{pack.tables[0].rule.symbol}; disclosure audit passed for {len(pack.audit.hidden_cells)} hidden values."
        )
