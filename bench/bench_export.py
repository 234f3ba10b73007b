"""Benchmark: HR's records extract (10,000 and 100,000 rows) against a bare XlsxWriter constant_memory loop and
django-import-export's export of the same rows, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/populate.py --placements 100000
    flock /tmp/bench.lock env DATABASE_URL=... .venv/bin/python bench/bench_export.py [--repeat 3] \
        [--contenders ours,builder,bare,import-export]

Setup (untimed, kept): the benchmark placements of bench/populate.py are moved into two organisations of their
own, BENCH10K (the first 10,000) nested under BENCH100K (the rest), so that the extract of BENCH10K has 10,000
rows and the extract of BENCH100K 100,000. Contenders, for each size:
- ours: `run_export records_extract` end to end (reporting/exports/runs.py execute_run): claim the run, count,
  stream the rows from a database cursor into XlsxWriter's constant_memory mode with every text cell quoted,
  list the records for the download check and the read audit, fsync, check the zip, SHA-256, move into place,
  mark done;
- bare: the same queryset's rows, written with `worksheet.write_row` into a constant_memory workbook, nothing
  else (the floor for writing these rows with XlsxWriter);
- builder: only the extract's builder of ours (the rows streamed into the workbook and listed), without the
  run's claim and file checks: whether writing the rows holds memory that grows with them;
- import-export: django-import-export 4.4's `ModelResource.export()` of the same queryset with the same
  columns, then its XLSX format (openpyxl), as the admin's export button does.
Time is the best of `--repeat` runs (import-export: one run at 100,000 rows, it is slow); peak memory is
tracemalloc's peak of Python allocations, in a separate run of each contender.
Targets (issue 15, item 8): ours at most 1.2 times bare, at least 3 times faster than import-export, and peak
memory that does not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("EXPORTS_ROOT", tempfile.mkdtemp(prefix="bench-exports-"))

import django  # noqa: E402

django.setup()

import xlsxwriter  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from import_export import fields, resources  # noqa: E402
from import_export.formats.base_formats import XLSX  # noqa: E402

from placements.models import Candidate, Placement  # noqa: E402
from reporting.exports import builders, runs  # noqa: E402
from reporting.exports.models import ExportedRecord, ExportRun, RequestedVia  # noqa: E402
from reporting.exports.periods import Period  # noqa: E402
from schemes.models import Organisation  # noqa: E402

SMALL, LARGE = 10_000, 100_000


def set_up() -> dict[int, Organisation]:
    """BENCH10K (the first 10,000 benchmark placements) nested under BENCH100K (the other 90,000)."""
    large, _ = Organisation.objects.get_or_create(code="BENCH100K", defaults={"name": "Bench 100k", "kind": "unit"})
    small, _ = Organisation.objects.get_or_create(
        code="BENCH10K", defaults={"name": "Bench 10k", "kind": "unit", "parent": large}
    )
    bench = Placement.objects.filter(candidate__reference__startswith="BENCH-").order_by("pk")
    ids = list(bench.values_list("pk", flat=True)[:LARGE])
    if len(ids) < LARGE:
        sys.exit(f"Only {len(ids):,} benchmark placements: run bench/populate.py --placements {LARGE} first.")
    with transaction.atomic():
        for organisation, chosen in ((small, ids[:SMALL]), (large, ids[SMALL:])):
            Placement.objects.filter(pk__in=chosen).exclude(organisation=organisation).update(organisation=organisation)
            Candidate.objects.filter(placements__pk__in=chosen).exclude(organisation=organisation).update(
                organisation=organisation
            )
    return {SMALL: small, LARGE: large}


def ours(organisation: Organisation, out: Path) -> tuple[int, Path]:
    for previous in ExportRun.objects.filter(export="records_extract", organisation=organisation):
        runs.export_storage().delete(previous.file)
        previous.delete()
    run, _ = runs.request_run(
        "records_extract", Period.parse("2024-09"), organisation=organisation, via=RequestedVia.COMMAND, queue=False
    )
    outcome = runs.execute_run(run.pk, token=uuid.uuid4().hex)
    assert outcome.done_now, ExportRun.objects.get(pk=run.pk).error
    return outcome.run.rows, Path(runs.export_storage().path(outcome.run.file))


def builder(organisation: Organisation, out: Path) -> tuple[int, Path]:
    """Only the extract's builder (reporting/exports/builders.py): the rows streamed into the workbook and listed
    for the download check, without the run's claim, fsync, zip check, checksum and move into place."""
    run, _ = runs.request_run(
        "records_extract", Period.parse("2024-09"), organisation=organisation, via=RequestedVia.COMMAND, queue=False
    )
    ExportedRecord.objects.filter(run=run).delete()  # listed by an earlier contender's run of the same extract
    built = builders.build(run, out, lambda percent, note: None)
    return built.rows, out


def _queryset(organisation: Organisation):
    run = ExportRun(export="records_extract", organisation=organisation, period="2024-09", requested_via="command")
    return builders.extract_rows(run)


def bare(organisation: Organisation, out: Path) -> tuple[int, Path]:
    fields_ = [field for _, field in builders.RECORD_COLUMNS]
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    worksheet = workbook.add_worksheet("Records")
    worksheet.write_row(0, 0, builders.RECORD_HEADINGS)
    row = 0
    for row, values in enumerate(_queryset(organisation).values_list(*fields_).iterator(chunk_size=2000), start=1):
        worksheet.write_row(row, 0, values)
    workbook.close()
    return row, out


class ExtractResource(resources.ModelResource):
    """The extract's columns as a django-import-export resource (what the admin's export button would use)."""

    candidate_reference = fields.Field(attribute="candidate__reference", column_name="Candidate reference")
    date_of_birth = fields.Field(attribute="candidate__date_of_birth", column_name="Date of birth")
    scheme = fields.Field(attribute="scheme__code", column_name="Scheme")
    organisation = fields.Field(attribute="organisation__code", column_name="Organisation")
    business_unit = fields.Field(attribute="business_unit", column_name="Business unit")
    location = fields.Field(attribute="location__name", column_name="Location")
    grade = fields.Field(attribute="grade__code", column_name="Grade")
    offered_on = fields.Field(attribute="offered_on", column_name="Offer date")
    started_on = fields.Field(attribute="started_on", column_name="Start date")
    planned_end_on = fields.Field(attribute="planned_end_on", column_name="Planned end date")
    ended_on = fields.Field(attribute="ended_on", column_name="End date")
    outcome = fields.Field(attribute="latest_outcome", column_name="Outcome")
    outcome_on = fields.Field(attribute="latest_outcome_on", column_name="Outcome date")
    destination = fields.Field(attribute="destination", column_name="Destination organisation")

    class Meta:
        model = Placement
        fields = tuple(key for key, _ in builders.RECORD_COLUMNS)


def import_export(organisation: Organisation, out: Path) -> tuple[int, Path]:
    queryset = _queryset(organisation).select_related("candidate", "scheme", "organisation", "location", "grade")
    dataset = ExtractResource().export(queryset)
    out.write_bytes(XLSX().export_data(dataset))
    return len(dataset), out


CONTENDERS = {"ours": ours, "builder": builder, "bare": bare, "import-export": import_export}


def timed(contender, organisation, out) -> tuple[float, int, Path]:
    start = time.perf_counter()
    rows, path = contender(organisation, out)
    return time.perf_counter() - start, rows, path


def peak_memory(contender, organisation, out) -> float:
    tracemalloc.start()
    contender(organisation, out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help=f"a comma-separated subset of {', '.join(CONTENDERS)}"
    )
    options = parser.parse_args()
    chosen = {name: CONTENDERS[name] for name in options.contenders.split(",")}
    load = os.getloadavg()[0]
    print(
        f"Database: {connection.vendor}; machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"load {load:.1f}; {time.strftime('%Y-%m-%d %H:%M')}"
    )
    organisations = set_up()
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    for size in (SMALL, LARGE):
        organisation = organisations[size]
        best = {}
        for name, contender in chosen.items():
            repeat = 1 if name == "import-export" and size == LARGE else options.repeat
            times = []
            for _ in range(repeat):
                elapsed, rows, path = timed(contender, organisation, folder / f"{name}.xlsx")
                assert rows == size, f"{name} wrote {rows} rows, not {size}"
                times.append(elapsed)
            best[name] = min(times)
            size_mb = path.stat().st_size / 1e6
            memory = peak_memory(contender, organisation, folder / f"{name}.xlsx")
            print(
                f"  {size:>7,} rows  {name:<13} best {best[name]:6.2f} s of {', '.join(f'{t:.2f}' for t in times)}"
                f"; peak Python memory {memory:6.1f} MB; file {size_mb:.1f} MB"
            )
        if {"ours", "bare"} <= best.keys():
            print(f"  {size:>7,} rows  ours / bare = {best['ours'] / best['bare']:.2f}")
        if {"ours", "import-export"} <= best.keys():
            print(f"  {size:>7,} rows  import-export / ours = {best['import-export'] / best['ours']:.1f}")
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
