"""Hostile files at the default limits, each door in a process of its own: every file refused at the door, and the
process's peak memory well under 500 MB.

One process per door reads every hostile file in turn, so its peak is the largest any of them cost; a file the
door let through to the sheet reader (the dimension bomb asks it for 512 GiB) would abort the process or show
in that peak. The peak is the process's own high-water mark (VmHWM, read by the process as it ends): the
kernel's rusage count would include the test runner's memory, which a child inherits through fork and exec.
The processes have no database: the door must refuse before an import reaches one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_files import dimension_bomb, inflating_xlsx, oversized_csv, raw_xlsx

ROOT = Path(__file__).resolve().parents[2]
PEAK_MIB = 200
# The reference import reads only sheets named as its own; hires files' sheets are renamed for it.
DOORS = {
    "command": """
from django.core.management import call_command
call_command("import_placements", path, "--dry-run", stdout=StringIO(), stderr=StringIO())
""",
    "admin": """
from django.core.files import File
from placements.admin_import import HiresImportForm, HiresSpreadsheetResource, HiresXLSX, HiresCSV
formats = [HiresXLSX, HiresCSV]
chosen = 0 if path.endswith(".xlsx") else 1
with open(path, "rb") as handle:
    data = {"format": str(chosen), "resource": "0"}
    form = HiresImportForm(formats, [HiresSpreadsheetResource], data=data, files={"import_file": File(handle)})
    if not form.is_valid():
        raise ValueError(form.errors["import_file"][0])
    handle.seek(0)
    formats[chosen]().create_dataset(handle.read())
""",
    "reference command": """
from django.core.management import call_command
call_command("import_reference", path, "--dry-run", stdout=StringIO(), stderr=StringIO())
""",
    "reference admin": """
from django.core.files import File
from schemes.admin_import import ReferenceWorkbookForm
from schemes.importing import import_reference_file
with open(path, "rb") as handle:
    form = ReferenceWorkbookForm(data={}, files={"workbook": File(handle)})
    if not form.is_valid():
        raise ValueError(form.errors["workbook"][0])
    import_reference_file(form.cleaned_data["workbook"], name=os.path.basename(path), dry_run=True)
""",
}
RUNNER = """
import os, sys
from io import StringIO
import django
django.setup()
door = sys.argv[1]
for path in sys.argv[2:]:
    try:
        exec(DOOR)
    except Exception as refused:  # what a door says when it refuses
        print(f"{os.path.basename(path)} refused: {refused}".replace(chr(10), " "))
    else:
        print(f"{os.path.basename(path)} READ")
with open("/proc/self/status") as status:
    print(next(line for line in status if line.startswith("VmHWM:")).strip())
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    many_rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 200_002))
    files = {}
    for title in ("Hires", "Organisations"):
        files[title] = [
            dimension_bomb(folder / f"bomb-{title}.xlsx", title=title),
            raw_xlsx(
                folder / f"lying-dimension-{title}.xlsx",
                ['<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'],
                dimension="A1:B2",
                title=title,
            ),
            raw_xlsx(
                folder / f"no-references-{title}.xlsx",
                ["<row>" + "<c><v>1</v></c>" * 16_384 + "</row>"] * 300,
                title=title,
            ),
            raw_xlsx(folder / f"many-rows-{title}.xlsx", [many_rows], title=title),
            inflating_xlsx(folder / f"inflating-{title}.xlsx", megabytes=160, title=title),
        ]
    rows_csv = folder / "many-rows.csv"
    rows_csv.write_bytes(b"Candidate reference\n" + b"x\n" * 9_000_000)  # 18 MB, within the size limit
    files["Hires"] += [oversized_csv(folder / "oversized.csv", megabytes=21), rows_csv]
    return files


def run_door(door: str, paths: list[Path]) -> tuple[list[str], float]:
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "careleavers.settings"
    script = RUNNER.replace("exec(DOOR)", "exec(" + repr(DOORS[door]) + ")")
    child = subprocess.Popen(
        [sys.executable, "-c", script, door, *map(str, paths)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child.communicate()
    assert child.returncode == 0, err[-2000:]
    *said, peak = out.splitlines()
    assert peak.startswith("VmHWM:"), peak
    assert peak.endswith("kB"), peak
    return said, int(peak.split()[1]) / 1024


@pytest.mark.parametrize("door", list(DOORS))
def test_every_hostile_file_is_refused_by_every_door_in_little_memory(hostile, door):
    paths = hostile["Organisations" if door.startswith("reference") else "Hires"]
    if door.startswith("reference"):
        paths = [path for path in paths if path.suffix == ".xlsx"]
    said, peak_mib = run_door(door, paths)

    assert len(said) == len(paths), said
    for line in said:
        assert " refused: " in line, line
        assert "IMPORT_MAX_" in line, line  # refused by a limit, which the message names
    assert 30 < peak_mib < PEAK_MIB, f"{door}: peak {peak_mib:.0f} MiB"
