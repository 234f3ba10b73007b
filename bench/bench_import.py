"""Benchmark: a 10,000-row hires spreadsheet through `import_placements` vs django-import-export's defaults,
and the same file checked against a store of 1,000,000 placements.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/careleavers .venv/bin/python bench/bench_import.py [--rows N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<1M store> .venv/bin/python bench/bench_import.py --store \
        [--baseline-code DIR]

Default: both contenders read the same generated .xlsx, each into a freshly emptied set of record tables in a
throw-away database (`bench_<name>`, created and dropped here), in the same run:
- ours: `manage.py import_placements FILE` end to end: read, check every row, bulk-write placements,
  candidates and outcomes with their history rows (written in the database, decision 0014), refresh
  latest outcomes;
- baseline: a plain django-import-export ModelResource on Placement with its default settings (row by
  row, one transaction), foreign keys by code or name. It is given less to do: its candidates are created
  beforehand (untimed) and it ignores the outcome columns.
Targets (issue 2, item 5): ours under 5 s on PostgreSQL, and at least 3 times faster than the baseline.

`--store`: DATABASE_URL names a database filled by bench/populate.py (and migrated to this code). Dry runs
only, each `manage.py import_placements FILE --dry-run` in a process of its own, timed with its peak memory:
the generated file against an empty database (`bench_<name>`, the baseline of the same run) and against the
store, and a file of 10,000 of the store's own placements (re-imported: every row names a stored record)
against the store. `--baseline-code DIR` runs the same commands with another checkout's code as well (an
earlier commit, extracted with `git archive`). Target (issue 10, item 4): against the store, no slower than
on the empty database, give or take the records the file names.

`--door`: the hostile files of issue 13 (built here) and two ordinary 10,000-row files, each through both doors
(what the command and the admin's upload do before any row is judged), each in a process of its own: seconds
to the answer and the process's peak memory. `--baseline-code DIR` runs that checkout's `import_placements
--dry-run` on each file too, stopped after `--timeout` seconds. Targets (issue 13): every hostile file refused
in a second or two, well under 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careleavers.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from import_export import fields, resources, widgets  # noqa: E402
from import_export.formats.base_formats import XLSX  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from placements.import_columns import COLUMNS  # noqa: E402
from placements.models import Candidate, Outcome, Placement  # noqa: E402
from schemes.models import Grade, Location, Organisation, Scheme  # noqa: E402

HEADINGS = [column.heading for column in COLUMNS]
ORGANISATIONS = ["ONS", "DWP", "HMRC", "DFE", "HO", "MOJ", "DFT", "CO"]
LOCATIONS = ["Newport", "Titchfield", "Darlington Economic Campus", "London", "Sheffield", "Leeds", "Glasgow"]
UNITS = ["Data Science Campus", "Digital", "Finance", "Operations", "Policy", ""]
OUTCOMES = ["Still in post", "Made permanent", "Contract extended", "Left early", "Did not pass probation"]


def generate(path: Path, rows: int, seed: int = 2024) -> Path:
    """A realistic hires sheet: mostly started placements, some offers awaiting a start, ended ones with outcomes."""
    rng = random.Random(seed)
    book = Workbook()
    sheet = book.active
    sheet.title = "Hires"
    sheet.append(HEADINGS)
    for number in range(rows):
        organisation = rng.choice(ORGANISATIONS)
        offered = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randrange(5 * 365))
        started = offered + datetime.timedelta(days=rng.randrange(30, 270)) if rng.random() < 0.9 else None
        planned_end = started + datetime.timedelta(days=365) if started else None
        ended = outcome = outcome_on = destination = None
        if started and rng.random() < 0.5:
            ended = started + datetime.timedelta(days=rng.randrange(60, 700))
            outcome = rng.choice(OUTCOMES + ["Transferred to another department"])
            outcome_on = ended
            if outcome.startswith("Transferred"):
                destination = rng.choice([code for code in ORGANISATIONS if code != organisation])
        elif started and rng.random() < 0.3:
            outcome, outcome_on = "Still in post", started + datetime.timedelta(days=180)
        elif not started and rng.random() < 0.3:
            outcome, outcome_on = "Withdrew before start", offered + datetime.timedelta(days=60)
        row = {
            "Candidate reference": f"{organisation}-{number:06d}",
            "Date of birth": offered - datetime.timedelta(days=rng.randrange(16 * 365, 25 * 365)),  # 16 to 24
            "Scheme": rng.choice(["CLIS", "GFiE"]),
            "Organisation": organisation,
            "Business unit": rng.choice(UNITS),
            "Location": rng.choice(LOCATIONS),
            "Grade": rng.choice(["AO", "EO", "AA", "HEO"]),
            "Offer date": offered,
            "Start date": started,
            "Planned end date": planned_end,
            "End date": ended,
            "Outcome": outcome,
            "Outcome date": outcome_on,
            "Destination organisation": destination,
        }
        sheet.append([row[heading] for heading in HEADINGS])
    book.save(path)
    return path


class BaselinePlacementResource(resources.ModelResource):
    """What a plain django-import-export set-up would be: a ModelResource, default settings, FK widgets."""

    candidate = fields.Field("candidate", "Candidate reference", widgets.ForeignKeyWidget(Candidate, "reference"))
    organisation = fields.Field("organisation", "Organisation", widgets.ForeignKeyWidget(Organisation, "code"))
    scheme = fields.Field("scheme", "Scheme", widgets.ForeignKeyWidget(Scheme, "code"))
    location = fields.Field("location", "Location", widgets.ForeignKeyWidget(Location, "name"))
    grade = fields.Field("grade", "Grade", widgets.ForeignKeyWidget(Grade, "code"))
    business_unit = fields.Field("business_unit", "Business unit", widgets.CharWidget(allow_blank=True))
    offered_on = fields.Field("offered_on", "Offer date", widgets.DateWidget())
    started_on = fields.Field("started_on", "Start date", widgets.DateWidget())
    planned_end_on = fields.Field("planned_end_on", "Planned end date", widgets.DateWidget())
    ended_on = fields.Field("ended_on", "End date", widgets.DateWidget())

    class Meta:
        model = Placement
        fields = (
            "candidate",
            "organisation",
            "scheme",
            "location",
            "grade",
            "business_unit",
            "offered_on",
            "started_on",
            "planned_end_on",
            "ended_on",
        )
        import_id_fields = ("candidate", "scheme", "offered_on")


def empty_record_tables() -> None:
    """A fresh start for each contender: no records and no history rows (fast, and without auditing it)."""
    tables = [model._meta.db_table for model in (Outcome, Placement, Candidate)]
    tables += [model.history.model._meta.db_table for model in (Outcome, Placement, Candidate)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def time_ours(path: Path) -> float:
    empty_record_tables()
    started, cpu = time.perf_counter(), time.process_time()
    out = StringIO()
    call_command("import_placements", str(path), stdout=out, stderr=StringIO())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  ours: {elapsed:.2f} s ({cpu:.2f} s CPU in this process); {out.getvalue().strip()}")
    return elapsed


def time_baseline(path: Path) -> float:
    empty_record_tables()
    codes = dict(Organisation.objects.values_list("code", "pk"))
    dataset = XLSX().create_dataset(path.read_bytes())
    Candidate.objects.bulk_create(  # untimed: the baseline is not asked to create candidates
        Candidate(organisation_id=codes[row[3]], reference=row[0]) for row in dataset
    )
    started, cpu = time.perf_counter(), time.process_time()
    dataset = XLSX().create_dataset(path.read_bytes())
    result = BaselinePlacementResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit("The baseline import failed; its figures would mean nothing.")
    print(f"  baseline: {elapsed:.2f} s ({cpu:.2f} s CPU in this process); {result.totals['new']} placements created")
    return elapsed


def stored_placements_file(path: Path, rows: int) -> Path:
    """A sheet of `rows` of the store's own placements, spread over it, as HR would re-import them."""
    headings = ["Candidate reference", "Scheme", "Organisation", "Location", "Grade", "Offer date", "Start date"]
    total = Placement.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reference, s.code, o.code, l.name, g.code, p.offered_on, p.started_on "
            "FROM placements_placement p JOIN placements_candidate c ON c.id = p.candidate_id "
            "JOIN schemes_scheme s ON s.id = p.scheme_id JOIN schemes_organisation o ON o.id = p.organisation_id "
            "JOIN schemes_location l ON l.id = p.location_id JOIN schemes_grade g ON g.id = p.grade_id "
            "WHERE p.id %% %s = 0 ORDER BY p.id LIMIT %s",
            [max(total // rows, 1), rows],
        )
        found = cursor.fetchall()
    book = Workbook()
    sheet = book.active
    sheet.append(headings)
    for values in found:
        sheet.append(list(values))
    book.save(path)
    return path


# Runs a script (manage.py) as __main__ and, as it ends, says its peak resident memory. The process's own
# high-water mark: rusage's figure for a child includes the parent's memory, inherited through fork and exec.
PEAK_WRAPPER = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        print(next(line for line in status if line.startswith("VmHWM:")).strip(), file=sys.stderr)
"""


def run_import(code: Path, database_url: str, path: Path) -> tuple[float, float, str]:
    """`manage.py import_placements FILE --dry-run` of the code in `code`, in a process of its own: wall seconds,
    peak resident memory in MiB and its summary line."""
    env = {**os.environ, "DATABASE_URL": database_url}
    command = ["manage.py", "import_placements", str(path), "--dry-run"]
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, *command], cwd=code, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    *said, peak = child.stderr.strip().splitlines()
    if child.returncode != 0:
        raise SystemExit(f"The import failed ({code}): {said[-5:]}")
    return elapsed, int(peak.split()[1]) / 1024, child.stdout.strip().splitlines()[-1]


def against_store(arguments) -> None:
    """Dry runs against an empty database and against the store the DATABASE_URL names (see the docstring)."""
    database = settings.DATABASES["default"]
    store_url = os.environ["DATABASE_URL"]
    store_name = str(database["NAME"])
    empty_name = f"bench_{store_name}"
    empty_url = store_url.rsplit("/", 1)[0] + f"/{empty_name}"
    stored = Placement.objects.count()
    print(
        f"Store: {store_name}, {stored:,} placements; machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"load average at start: {os.getloadavg()[0]:.1f}"
    )
    codes = [("ours", ROOT)] + ([("baseline code", Path(arguments.baseline_code))] if arguments.baseline_code else [])
    with tempfile.TemporaryDirectory() as folder:
        new_hires = generate(Path(folder) / "hires.xlsx", arguments.rows)
        reimport = stored_placements_file(Path(folder) / "stored.xlsx", arguments.rows)
        database["TEST"]["NAME"] = empty_name
        connection.creation.create_test_db(verbosity=0, autoclobber=True)  # the empty database, migrated
        try:
            runs = [
                ("new hires, empty database", empty_url, new_hires),
                (f"new hires, {stored:,} stored", store_url, new_hires),
                (f"{arguments.rows:,} stored placements re-imported", store_url, reimport),
            ]
            for label, code in codes:
                for what, url, path in runs:
                    timings = [run_import(code, url, path) for _ in range(arguments.repeat)]
                    best = min(timings)
                    each = ", ".join(f"{seconds:.2f}" for seconds, _memory, _said in timings)
                    peak = max(memory for _seconds, memory, _said in timings)
                    print(f"  {label}: {what}: best {best[0]:.2f} s (n={len(timings)}: {each}), peak {peak:.0f} MiB")
                    print(f"    {best[2]}")
        finally:
            connection.creation.destroy_test_db(store_name, verbosity=0)
    print(f"load average now {os.getloadavg()[0]:.1f}")


# One door's reading of one file, in a process of its own: seconds from the call to its answer, the process's
# peak memory, and the answer. "command" is what `import_placements` does before any row is judged; "admin"
# is what the admin's upload does (its form's size check, then the chosen format's reading).
DOOR_READ = """
import sys, time
import django
django.setup()
path, door = sys.argv[1], sys.argv[2]
started = time.perf_counter()
try:
    if door == "command":
        from schemes.spreadsheet_files import read_first_sheet
        rows = sum(1 for _row in read_first_sheet(path).rows)
    else:
        from django.core.files import File
        from placements.admin_import import HiresImportForm, HiresSpreadsheetResource, HiresXLSX, HiresCSV
        formats = [HiresXLSX, HiresCSV]
        chosen = 0 if path.endswith(".xlsx") else 1
        with open(path, "rb") as handle:
            form = HiresImportForm(
                formats, [HiresSpreadsheetResource], data={"format": str(chosen), "resource": "0"},
                files={"import_file": File(handle)},
            )
            if not form.is_valid():
                raise ValueError(form.errors["import_file"][0])
            handle.seek(0)
            rows = len(formats[chosen]().create_dataset(handle.read()))
    said = f"read {rows:,} rows"
except Exception as refused:
    said = f"refused: {str(refused)[:110]}"
elapsed = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) // 1024
print(f"{elapsed:.2f} s, peak {peak} MiB: {said}")
"""


MB = 1024 * 1024


def hostile_files(folder: Path) -> list[tuple[str, Path]]:
    """The files of issue 13, built here, and two ordinary 10,000-row files as the baseline."""
    from tests.hostile_files import dimension_bomb, inflating_xlsx, oversized_csv, raw_xlsx

    ordinary = generate(folder / "hires.xlsx", 10_000)
    ordinary_csv = folder / "hires.csv"
    with ordinary_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in load_workbook(ordinary, read_only=True).active.iter_rows(values_only=True):
            writer.writerow(["" if value is None else value for value in row])
    row = '<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}"><v>1</v></c></row>'
    rows_chunk = "".join(row.format(n=n) for n in range(2, 20_000))
    return [
        ("ordinary .xlsx, 10,000 rows", ordinary),
        ("ordinary .csv, 10,000 rows", ordinary_csv),
        ("cells at A1 and XFD1048576", dimension_bomb(folder / "bomb.xlsx")),
        ("sheet inflating to 1,100 MB", inflating_xlsx(folder / "inflating.xlsx", megabytes=1100)),
        ("rows inflating to 640 MB", raw_xlsx(folder / "rows.xlsx", [rows_chunk] * (640 * MB // len(rows_chunk)))),
        ("CSV of 50 MB", oversized_csv(folder / "big.csv", megabytes=50)),
    ]


def at_the_door(arguments) -> None:
    """Each file through each door, in a process of its own (see DOOR_READ); with --baseline-code, the same files
    through that checkout's `import_placements --dry-run`, stopped after --timeout seconds."""
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        for what, path in hostile_files(Path(folder)):
            print(f"{what} ({path.stat().st_size / 1024:,.0f} KiB on disk)")
            for door in ("command", "admin"):
                child = subprocess.run(
                    [sys.executable, "-c", DOOR_READ, str(path), door], cwd=ROOT, capture_output=True, text=True
                )
                print(f"  ours, {door}: {(child.stdout or child.stderr).strip().splitlines()[-1]}")
            if arguments.baseline_code:
                code = Path(arguments.baseline_code)
                command = [sys.executable, "-c", PEAK_WRAPPER, "manage.py", "import_placements", str(path), "--dry-run"]
                started = time.perf_counter()
                try:
                    child = subprocess.run(command, cwd=code, capture_output=True, text=True, timeout=arguments.timeout)
                except subprocess.TimeoutExpired:
                    print(f"  baseline code, command: stopped after {arguments.timeout} s")
                    continue
                elapsed = time.perf_counter() - started
                lines = child.stderr.strip().splitlines()
                peak = next((line for line in reversed(lines) if line.startswith("VmHWM:")), None)
                peak = f"peak {int(peak.split()[1]) // 1024} MiB" if peak else "killed before it could say its peak"
                outcome = "aborted" if child.returncode < 0 else f"exit status {child.returncode}"
                said = [line for line in (child.stdout + child.stderr).splitlines() if not line.startswith("VmHWM:")]
                last = said[-1].strip()[:100] if said else ""
                print(f"  baseline code, command: {elapsed:.2f} s, {outcome}, {peak}: {last}")
    print(f"load average now {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (the best is reported)")
    parser.add_argument("--skip-baseline", action="store_true", help="time ours only (while tuning)")
    parser.add_argument("--store", action="store_true", help="dry runs against the populated DATABASE_URL")
    parser.add_argument("--baseline-code", help="with --store or --door: a checkout whose import is timed too")
    parser.add_argument("--door", action="store_true", help="hostile files (issue 13) through both doors")
    parser.add_argument("--timeout", type=int, default=60, help="with --door: seconds the baseline code may take")
    arguments = parser.parse_args()
    if arguments.door:
        at_the_door(arguments)
        return
    if arguments.store:
        against_store(arguments)
        return

    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = f"bench_{Path(str(database['NAME'])).stem}"
    print(
        f"Database: {connection.vendor}; machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"load average at start: {os.getloadavg()[0]:.1f}"
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = generate(Path(folder) / "hires.xlsx", arguments.rows)
            print(f"File: {arguments.rows} rows, {path.stat().st_size / 1024:.0f} KiB")
            ours = min(time_ours(path) for _ in range(arguments.repeat))
            baseline = None if arguments.skip_baseline else time_baseline(path)
            placements = Placement.objects.count()
    finally:
        connection.creation.destroy_test_db(database["NAME"], verbosity=0)
    print(f"ours (best of {arguments.repeat}): {ours:.2f} s; load average now {os.getloadavg()[0]:.1f}")
    if baseline is None:
        return
    print(f"django-import-export defaults: {baseline:.2f} s")
    print(f"speed-up: {baseline / ours:.1f}x  ({placements} placements in the last run)")
    print(
        f"targets: ours < 5 s: {'met' if ours < 5 else 'MISSED'}; >= 3x: {'met' if baseline >= 3 * ours else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
