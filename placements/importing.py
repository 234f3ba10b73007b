"""Import a hires spreadsheet (docs/interfaces.md section 1): all or nothing, every problem named by row and heading.

The command line (`import_placements`) and the admin import (placements/admin_import.py) both call
`import_placements_file` / `import_placements_rows`, so a file is judged the same way wherever it comes in.

How a file is applied (docs/decisions/0010-hires-import-rules.md):
- Every row is checked, against the reference data loaded once into memory and the rules in
  placements/rules.py, before anything is written. Any problem means nothing is written.
- Rows are applied in order, as if each were imported in turn: a placement is found by organisation,
  candidate reference, scheme and start date, or by its offer date while it has not started; a later row
  with that offer date and a start date adds the start. Columns present in the file set the placement's
  values (an empty cell clears an optional date); columns absent from the file leave them alone.
- A row that repeats an earlier row is a warning; a row that contradicts an earlier row about the same
  placement is an error naming both rows.
- An outcome without an outcome date takes the end date; with neither, the row is refused.
- Writes are bulk inserts and updates, with their history rows, in one transaction.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from schemes.models import Grade, Location, Organisation, Scheme, normalise_name
from schemes.spreadsheets import ImportProblem, UnreadableFile, cell_text

from . import rules
from .access import Access, Action
from .choices import OutcomeCode
from .models import Candidate, Outcome, Placement
from .signals import announce_records_changed

BATCH_SIZE = 2000
HEADINGS_ROW = 1


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    required: bool = False


COLUMNS = [
    Column("candidate_reference", "Candidate reference", required=True),
    Column("date_of_birth", "Date of birth"),
    Column("scheme", "Scheme", required=True),
    Column("organisation", "Organisation", required=True),
    Column("business_unit", "Business unit"),
    Column("location", "Location", required=True),
    Column("grade", "Grade", required=True),
    Column("offered_on", "Offer date"),
    Column("started_on", "Start date"),
    Column("planned_end_on", "Planned end date"),
    Column("ended_on", "End date"),
    Column("outcome", "Outcome"),
    Column("outcome_on", "Outcome date"),
    Column("destination", "Destination organisation"),
]
HEADING = {column.key: column.heading for column in COLUMNS}
DATE_KEYS = ("date_of_birth", "offered_on", "started_on", "planned_end_on", "ended_on", "outcome_on")
# Placement fields a row can set, in the order they are checked.
PLACEMENT_FIELDS = (
    "business_unit",
    "location_id",
    "grade_id",
    "offered_on",
    "started_on",
    "planned_end_on",
    "ended_on",
)
FIELD_HEADING = {
    "business_unit": "Business unit",
    "location_id": "Location",
    "grade_id": "Grade",
    "offered_on": "Offer date",
    "started_on": "Start date",
    "planned_end_on": "Planned end date",
    "ended_on": "End date",
    "referred_on": "Start date",
    "applied_on": "Offer date",
}
OUTCOME_FIELD_HEADING = {
    "code": "Outcome",
    "on": "Outcome date",
    "destination_organisation": "Destination organisation",
}
TEXT_LIMITS = {
    "candidate_reference": Candidate._meta.get_field("reference").max_length,
    "business_unit": Placement._meta.get_field("business_unit").max_length,
}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass
class ImportResult:
    """What an import did (or, on a dry run or a refused file, would have done)."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    candidates_created: int = 0
    outcomes_added: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    # Spreadsheet row number -> "new", "update" or "skip", for the admin's preview.
    row_actions: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows_read} rows read: {self.created} placements created, {self.updated} updated, "
            f"{self.unchanged} unchanged ({self.outcomes_added} outcomes and {self.candidates_created} "
            f"candidates added).{' Dry run: nothing ' + verb + ' saved.' if self.dry_run else ''}"
        )


# Reading files ------------------------------------------------------------------------------------------


def read_table(source: str | Path | IO[bytes], name: str | None = None) -> tuple[list[Any], Iterable[Sequence[Any]]]:
    """Headings and rows of the first sheet of an .xlsx file, or of a .csv file (UTF-8, Excel's BOM allowed)."""
    name = str(name or getattr(source, "name", source))
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        rows = read_xlsx_rows(source, name)
    elif suffix == ".csv":
        data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
        rows = read_csv_rows(decode_csv(data) if isinstance(data, bytes) else data)
    else:
        raise UnreadableFile(f"{Path(name).name}: only .xlsx and .csv files can be imported.")
    rows = iter(rows)
    headings = next(rows, None)
    if headings is None:
        raise UnreadableFile(f"{Path(name).name} is empty: row 1 should hold the headings.")
    return list(headings), rows


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252: what Excel's plain "CSV" saves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv_rows(text: str) -> Iterable[list[str]]:
    """The records of a CSV text; a blank line is an empty record, so row numbers stay the file's."""
    return csv.reader(io.StringIO(text.removeprefix("\ufeff")))


def read_xlsx_rows(source: str | Path | IO[bytes], name: str) -> list[list[Any]]:
    """Every row of the first sheet, values only (a formula cell gives its last calculated value).

    Read with calamine (Rust): ten times faster than openpyxl on a 10,000-row sheet (BENCHMARKS.md).
    Empty leading rows are kept, so row numbers stay those the spreadsheet shows."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        if isinstance(source, str | Path):
            workbook = CalamineWorkbook.from_path(str(source))
        else:
            workbook = CalamineWorkbook.from_filelike(source)
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as error:
        raise UnreadableFile(f"{Path(name).name} could not be read as an .xlsx workbook ({error}).") from error


def import_placements_file(
    source: str | Path | IO[bytes], *, name: str | None = None, dry_run: bool = False, user=None
) -> ImportResult:
    """Import a hires spreadsheet from a path or an open file; see `import_placements_rows`."""
    headings, rows = read_table(source, name)
    reason = f"Imported from {Path(str(name or getattr(source, 'name', source))).name}"
    return import_placements_rows(headings, rows, dry_run=dry_run, user=user, change_reason=reason)


def import_placements_rows(
    headings: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    dry_run: bool = False,
    user=None,
    change_reason: str = "Imported from a spreadsheet",
) -> ImportResult:
    """Check every row, then (unless `dry_run` or any row is wrong) save them all in one transaction.

    `user` is the member of staff importing (None on the command line, which may import for any
    organisation); rows for organisations they may not edit are refused."""
    return _HiresImport(user=user, dry_run=dry_run, change_reason=change_reason).run(headings, rows)


# Cell values ---------------------------------------------------------------------------------------------


def parse_date(value: Any) -> datetime.date:
    """A real spreadsheet date, `2024-03-31` or `31/03/2024`; raises ValueError with a plain reason."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    if match := ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := UK_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(f"'{text}' is not a date: use a spreadsheet date, 31/03/2024 or 2024-03-31")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text} is not a real date") from None


# Writing with history ------------------------------------------------------------------------------------

HISTORY_COPY_CHUNK = 900  # ids per statement: within SQLite's 999 parameters, few statements on PostgreSQL
# simple_history's own columns on a historical table, after the tracked fields.
HISTORY_COLUMNS = ("history_date", "history_type", "history_user", "history_change_reason")


def bulk_create_recording_history(objs: list, model, *, default_user, default_change_reason: str, default_date) -> None:
    """Bulk-insert new records, then write their history rows in the database from the rows just inserted.

    The history rows are what django-simple-history writes for a creation (its historical table, every tracked
    field, `+`, user, date, reason); copying them with INSERT ... SELECT instead of building them in Python
    (its `bulk_create_with_history`) halves the import's CPU time: 3.7 s instead of 6.4 s for 10,000 rows
    (BENCHMARKS.md, docs/decisions/0014). Updates still go through `bulk_update_with_history`."""
    model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = [quote(field.column) for field in history.tracked_fields]
    own = [quote(history._meta.get_field(name).column) for name in HISTORY_COLUMNS]
    ids = [obj.pk for obj in objs]
    user_id = default_user.pk if default_user is not None else None
    with connection.cursor() as cursor:
        for start in range(0, len(ids), HISTORY_COPY_CHUNK):
            chunk = ids[start : start + HISTORY_COPY_CHUNK]
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(tracked + own)}) "
                f"SELECT {', '.join(tracked)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(chunk))})",
                [default_date, "+", user_id, default_change_reason, *chunk],
            )


# The import itself ---------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """A placement as the file leaves it: an existing one (with its original values) or a new one."""

    placement: Placement
    candidate_key: tuple[int, str]
    is_new: bool
    original: dict[str, Any]
    first_row: int
    outcomes: dict[tuple[str, datetime.date], int | None] = field(default_factory=dict)  # (code, on) -> destination
    outcome_changed: bool = False

    def values(self) -> dict[str, Any]:
        return {name: getattr(self.placement, name) for name in PLACEMENT_FIELDS}

    def changed_fields(self) -> list[str]:
        return [name for name in PLACEMENT_FIELDS if getattr(self.placement, name) != self.original[name]]


class _ReferenceMaps:
    """Reference data loaded once: every code, name and alias, folded by `normalise_name`, to an id."""

    def fold(self, text: str) -> str:
        """`normalise_name`, remembered: a sheet repeats the same few names thousands of times."""
        folded = self._folded.get(text)
        if folded is None:
            folded = self._folded[text] = normalise_name(text)
        return folded

    def __init__(self) -> None:
        self._folded: dict[str, str] = {}
        self.organisations: dict[str, int] = {}
        self.organisation_codes: dict[int, str] = {}
        organisation_rows = list(Organisation.objects.values_list("pk", "code", "name"))
        for pk, _code, name in organisation_rows:  # codes win over names when the two collide
            self.organisations[normalise_name(name)] = pk
        for pk, code, _name in organisation_rows:
            self.organisations[normalise_name(code)] = pk
            self.organisation_codes[pk] = code
        self.organisation_parents = dict(Organisation.objects.values_list("pk", "parent_id"))
        self.schemes: dict[str, int] = {}
        scheme_rows = list(Scheme.objects.values_list("pk", "code", "name", "owner_id"))
        for pk, _code, name, _owner in scheme_rows:
            self.schemes[normalise_name(name)] = pk
        for pk, code, _name, _owner in scheme_rows:
            self.schemes[normalise_name(code)] = pk
        self.scheme_owners = {pk: owner for pk, _code, _name, owner in scheme_rows}
        self.location_names = dict(Location.objects.values_list("pk", "name"))
        self.locations = {normalise_name(name): pk for pk, name in self.location_names.items()}
        # Common grades by any spelling; an organisation's own grades only for that organisation.
        self.grades: dict[str, int] = {}
        self.local_grades: dict[tuple[int, str], int] = {}
        grades = sorted(Grade.objects.all(), key=lambda grade: grade.organisation_id is not None)
        self.grade_codes = {grade.pk: grade.code for grade in grades}
        for grade in grades:
            for spelling in reversed(grade.names()):  # the code, written last, wins a collision
                if grade.organisation_id is None:
                    self.grades[normalise_name(spelling)] = grade.pk
                else:
                    self.local_grades[(grade.organisation_id, normalise_name(spelling))] = grade.pk
        self.outcomes: dict[str, str] = {}
        for code, label in OutcomeCode.choices:
            for spelling in (label, label.split(" (")[0], code):
                self.outcomes[normalise_name(spelling)] = code
        self._display: dict[str, list[str]] = {
            "organisation": [code for _pk, code, _name in organisation_rows] + [n for _pk, _c, n in organisation_rows],
            "scheme": [code for _pk, code, _n, _o in scheme_rows] + [n for _pk, _c, n, _o in scheme_rows],
            "location": list(self.location_names.values()),
            "grade": [spelling for grade in grades if grade.organisation_id is None for spelling in grade.names()],
            "outcome": [label.split(" (")[0] for _code, label in OutcomeCode.choices],
        }

    def grade(self, folded: str, organisation_id: int | None) -> int | None:
        while organisation_id is not None:  # the organisation's own grades, then its parents'
            if (organisation_id, folded) in self.local_grades:
                return self.local_grades[(organisation_id, folded)]
            organisation_id = self.organisation_parents.get(organisation_id)
        return self.grades.get(folded)

    def unknown(self, kind: str, value: str) -> str:
        """The message for a value that matches nothing, with the closest known spelling if there is one."""
        close = difflib.get_close_matches(value, self._display[kind], n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else "; add it to the reference data first if it is new"
        return f"'{value}' is not a known {kind}{hint}"


class _HiresImport:
    """One run of the hires import: headings, then every row checked, then (if all is well) one save."""

    def __init__(self, *, user, dry_run: bool, change_reason: str) -> None:
        self.user = user
        self.dry_run = dry_run
        self.change_reason = change_reason
        self.result = ImportResult(dry_run=dry_run)
        self.refs = _ReferenceMaps()
        self.access = self._permissions()

    def _permissions(self) -> Access | None:
        """The user's rights over records (placements/access.py), worked out once; None: the command line, which
        imports anything."""
        return None if self.user is None else Access(self.user)

    def error(self, row: int, key_or_heading: str, message: str) -> None:
        self.result.errors.append(ImportProblem(row, HEADING.get(key_or_heading, key_or_heading), message))

    # 1. Headings ------------------------------------------------------------------------------------------

    def read_headings(self, headings: Sequence[Any]) -> dict[str, int] | None:
        by_folded = {normalise_name(column.heading): column.key for column in COLUMNS}
        positions: dict[str, int] = {}
        for index, heading in enumerate(headings):
            text = cell_text(heading)
            if text is None:
                continue
            key = by_folded.get(normalise_name(text))
            if key is None:
                self.result.warnings.append(f"Column '{text}' is not one the import knows; it was ignored.")
            elif key in positions:
                self.error(HEADINGS_ROW, key, f"this column appears twice ('{text}'); keep one")
            else:
                positions[key] = index
        for column in COLUMNS:
            if column.required and column.key not in positions:
                self.error(HEADINGS_ROW, column.key, "this column is missing; every hires spreadsheet needs it")
        return None if self.result.errors else positions

    # 2. Rows ----------------------------------------------------------------------------------------------

    def parse_row(self, number: int, cells: dict[str, Any]) -> dict[str, Any] | None:
        """Turn one row's cells into ids, dates and codes; record every problem found (None if any)."""
        before = len(self.result.errors)
        row: dict[str, Any] = {}
        row["candidate_reference"] = cell_text(cells.get("candidate_reference"))
        row["business_unit"] = cell_text(cells.get("business_unit"))
        texts = rules.text_problems(candidate_reference=row["candidate_reference"], business_unit=row["business_unit"])
        for key, problem in texts.items():
            self.error(number, key, problem)
        for key, limit in TEXT_LIMITS.items():
            if row[key] and len(row[key]) > limit:
                self.error(number, key, f"is {len(row[key])} characters long; at most {limit} fit")
        for column in COLUMNS:
            if column.required and cell_text(cells.get(column.key)) is None:
                self.error(number, column.key, "is empty; every row needs it")

        refs = self.refs
        row["organisation_id"] = self._look_up(number, cells, "organisation", "organisation", refs.organisations.get)
        row["scheme_id"] = self._look_up(number, cells, "scheme", "scheme", refs.schemes.get)
        if row["organisation_id"] and row["scheme_id"] and not self._may_import(row):
            code = refs.organisation_codes[row["organisation_id"]]
            self.error(number, "organisation", f"you may not import records for {code}")
        row["location_id"] = self._look_up(number, cells, "location", "location", refs.locations.get)
        grade_for_organisation = partial(refs.grade, organisation_id=row["organisation_id"])
        row["grade_id"] = self._look_up(number, cells, "grade", "grade", grade_for_organisation)
        row["outcome"] = self._look_up(number, cells, "outcome", "outcome", refs.outcomes.get)
        row["destination_id"] = self._look_up(number, cells, "destination", "organisation", refs.organisations.get)

        unreadable_dates = False
        for key in DATE_KEYS:
            raw = cells.get(key)
            row[key] = None
            if cell_text(raw) is not None:
                try:
                    row[key] = parse_date(raw)
                except ValueError as problem:
                    self.error(number, key, str(problem))
                    unreadable_dates = True

        if len(self.result.errors) > before and "started_on" in self.present and not unreadable_dates:
            # This row will not be applied, so check its dates on their own now: every problem in one report.
            # (Not when a date could not be read: the others would be judged against a missing date.)
            self._check_row_dates_alone(number, row)
        dob, first_day = row["date_of_birth"], row["started_on"] or row["offered_on"]
        if dob and first_day and dob >= first_day:
            which = "start" if row["started_on"] else "offer"
            self.error(number, "date_of_birth", f"{dob:%Y-%m-%d} is not before the {which} date {first_day:%Y-%m-%d}")
        return None if len(self.result.errors) > before else row

    def _look_up(self, number: int, cells: dict[str, Any], key: str, kind: str, find: Callable[[str], Any]) -> Any:
        """The id (or code) a cell names, found by its folded spelling; an unknown value is an error naming it."""
        text = cell_text(cells.get(key))
        if text is None:
            return None
        found = find(self.refs.fold(text))
        if found is None:
            self.error(number, key, self.refs.unknown(kind, text))
        return found

    def _check_row_dates_alone(self, number: int, row: dict[str, Any]) -> None:
        problems = rules.placement_date_problems(
            offered_on=row["offered_on"],
            started_on=row["started_on"],
            planned_end_on=row["planned_end_on"],
            ended_on=row["ended_on"],
        )
        if row["outcome"] is not None:
            on = row["outcome_on"] or row["ended_on"]
            outcome = rules.outcome_problems(code=row["outcome"], on=on, started_on=row["started_on"])
            problems.update({OUTCOME_FIELD_HEADING[name]: message for name, message in outcome.items()})
        reported = {(problem.row, problem.heading) for problem in self.result.errors}
        for name, message in problems.items():
            heading = FIELD_HEADING.get(name, name)
            if (number, heading) not in reported:
                self.error(number, heading, message)

    def _may_import(self, row: dict[str, Any]) -> bool:
        """A row adds or changes a placement of its organisation on its scheme (and, with it, its candidate)."""
        owner = self.refs.scheme_owners[row["scheme_id"]]
        return self.access is None or self.access.allows_ids(Action.CHANGE, row["organisation_id"], owner)

    # 3. Existing records, loaded in bulk -----------------------------------------------------------------

    def load_existing(self, parsed: list[tuple[int, dict[str, Any]]]) -> None:
        organisation_ids = {row["organisation_id"] for _number, row in parsed}
        scheme_ids = {row["scheme_id"] for _number, row in parsed}
        # Candidates are read without `for_user` scoping on purpose: only to avoid creating a second
        # candidate with a reference the organisation already uses; nothing read here is shown.
        self.candidates = {
            (candidate.organisation_id, candidate.reference): candidate
            for candidate in Candidate.objects.filter(organisation_id__in=organisation_ids)
        }
        placements = Placement.objects.all() if self.user is None else Placement.objects.for_user(self.user)
        self.by_start: dict[tuple, _Plan] = {}
        self.by_offer: dict[tuple, _Plan] = {}
        plans_by_pk: dict[int, _Plan] = {}
        references = {candidate.pk: key for key, candidate in self.candidates.items()}
        for placement in placements.filter(candidate__organisation_id__in=organisation_ids, scheme_id__in=scheme_ids):
            key = references.get(placement.candidate_id)
            if key is None:
                continue
            plan = _Plan(placement, key, is_new=False, original={}, first_row=0)
            plan.original = plan.values()
            self._index(plan)
            plans_by_pk[placement.pk] = plan
        self.existing_outcomes: dict[tuple[int, str, datetime.date], Outcome] = {}
        for outcome in Outcome.objects.filter(placement_id__in=list(plans_by_pk)):
            plans_by_pk[outcome.placement_id].outcomes[(outcome.code, outcome.on)] = outcome.destination_organisation_id
            self.existing_outcomes[(outcome.placement_id, outcome.code, outcome.on)] = outcome

    def _index(self, plan: _Plan) -> None:
        placement = plan.placement
        if placement.started_on is not None:
            self.by_start[(*plan.candidate_key, placement.scheme_id, placement.started_on)] = plan
        if placement.offered_on is not None:
            self.by_offer[(*plan.candidate_key, placement.scheme_id, placement.offered_on)] = plan

    # 4. Applying rows in order ---------------------------------------------------------------------------

    def find_plan(self, number: int, row: dict[str, Any]) -> _Plan | None | bool:
        """The placement a row is about; None for a new one; False if the row contradicts what is recorded."""
        key = (row["organisation_id"], row["candidate_reference"], row["scheme_id"])
        start, offer = row["started_on"], row["offered_on"]
        if start is not None and (plan := self.by_start.get((*key, start))):
            return plan
        if offer is not None and (plan := self.by_offer.get((*key, offer))):
            recorded = plan.placement.started_on
            if recorded is None or recorded == start:
                return plan
            wanted = f"gives {start:%Y-%m-%d}" if start else "gives none"
            where = f"row {plan.first_row}" if plan.first_row else "the records"
            self.error(
                number,
                "started_on",
                f"the offer made on {offer:%Y-%m-%d} to {row['candidate_reference']} starts on {recorded:%Y-%m-%d} "
                f"in {where}, but this row {wanted}",
            )
            return False
        return None

    def apply_row(self, number: int, row: dict[str, Any], present: set[str]) -> None:
        """Apply one checked row to the placement it is about (in memory), or record why it cannot be."""
        plan = self.find_plan(number, row)
        if plan is False:
            return
        action = None  # decided below for an existing placement: "update" or "skip"
        if plan is None:
            plan = self.new_plan(row)
            self.plans.append(plan)
            action = "new"
        placement = plan.placement
        before = plan.values()
        wanted = dict(before)
        wanted["location_id"], wanted["grade_id"] = row["location_id"], row["grade_id"]
        for key in ("business_unit", "offered_on", "started_on", "planned_end_on", "ended_on"):
            if key in present:
                wanted[key] = row[key] if key != "business_unit" else row[key] or ""

        problems = rules.placement_date_problems(
            referred_on=placement.referred_on,
            applied_on=placement.applied_on,
            clearance_requested_on=placement.clearance_requested_on,
            clearance_granted_on=placement.clearance_granted_on,
            offered_on=wanted["offered_on"],
            started_on=wanted["started_on"],
            planned_end_on=wanted["planned_end_on"],
            ended_on=wanted["ended_on"],
        )
        for name, message in problems.items():
            self.error(number, FIELD_HEADING[name], message)
        new_offer = wanted["offered_on"]
        if new_offer is not None and new_offer != before["offered_on"]:
            other = self.by_offer.get((*plan.candidate_key, placement.scheme_id, new_offer))
            if other is not None and other is not plan:
                self.error(
                    number,
                    "offered_on",
                    f"{row['candidate_reference']} already has another placement on this scheme offered on "
                    f"{new_offer:%Y-%m-%d}",
                )
                return
        if problems:
            return

        outcome = self.outcome_for(number, row, wanted)
        if outcome is False:
            return
        changes = {name: (before[name], value) for name, value in wanted.items() if value != before[name]}
        adds_only_a_start = set(changes) == {"started_on"} and before["started_on"] is None
        if plan.first_row and plan.first_row != number and changes and not adds_only_a_start:
            name = next(iter(changes))
            self.error(
                number,
                FIELD_HEADING[name],
                f"row {plan.first_row} describes the same placement with a different "
                f"{FIELD_HEADING[name].lower()} ({self._shown(name, changes[name][0])}, "
                f"here {self._shown(name, changes[name][1])}); "
                "keep one of the two rows",
            )
            return
        for name, value in wanted.items():
            setattr(placement, name, value)
        self._index(plan)
        outcome_changed = False
        if outcome is not None:
            code, on, destination = outcome
            if plan.outcomes.get((code, on), "absent") != destination:
                plan.outcomes[(code, on)] = destination
                plan.outcome_changed = outcome_changed = True
        if action is None:
            if changes or outcome_changed:
                action = "update"
            else:
                action = "skip"
                if plan.first_row and plan.first_row != number:
                    self.result.warnings.append(f"Row {number} repeats row {plan.first_row}; it was counted once.")
        plan.first_row = plan.first_row or number
        self.result.row_actions[number] = action
        self._set_date_of_birth(number, plan, row)

    def new_plan(self, row: dict[str, Any]) -> _Plan:
        """A placement to create, for a candidate found by reference or created with it."""
        key = (row["organisation_id"], row["candidate_reference"])
        candidate = self.candidates.get(key)
        if candidate is None:
            candidate = Candidate(organisation_id=key[0], reference=key[1])
            self.candidates[key] = candidate
            self.new_candidates.append(candidate)
        placement = Placement(
            candidate=candidate,
            organisation_id=row["organisation_id"],
            scheme_id=row["scheme_id"],
            location_id=row["location_id"],
            grade_id=row["grade_id"],
            business_unit="",
        )
        plan = _Plan(placement, key, is_new=True, original={}, first_row=0)
        plan.original = plan.values()
        return plan

    def outcome_for(self, number: int, row: dict[str, Any], wanted: dict[str, Any]):
        """(code, date, destination) for the row's outcome, None if it has none, False if it is wrong."""
        code = row["outcome"]
        if code is None:
            if row["outcome_on"] is not None or row["destination_id"] is not None:
                self.error(number, "outcome", "is empty, but the row gives an outcome date or destination")
                return False
            return None
        on = row["outcome_on"] or wanted["ended_on"]
        if on is None:
            self.error(number, "outcome_on", f"give the date of '{OutcomeCode(code).label}' (the row has no end date)")
            return False
        problems = rules.outcome_problems(
            code=code, on=on, started_on=wanted["started_on"], has_destination=row["destination_id"] is not None
        )
        for name, message in problems.items():
            self.error(number, OUTCOME_FIELD_HEADING[name], message)
        return False if problems else (code, on, row["destination_id"])

    def _set_date_of_birth(self, number: int, plan: _Plan, row: dict[str, Any]) -> None:
        dob = row["date_of_birth"]
        candidate = self.candidates[plan.candidate_key]
        if dob is None or candidate.date_of_birth == dob:
            return
        if plan.candidate_key in self.dob_rows:
            self.error(
                number,
                "date_of_birth",
                f"row {self.dob_rows[plan.candidate_key]} gives {candidate.date_of_birth:%Y-%m-%d} "
                f"for {candidate.reference}",
            )
            return
        self.dob_rows[plan.candidate_key] = number
        candidate.date_of_birth = dob
        if candidate.pk is not None:
            self.changed_candidates.append(candidate)

    def _shown(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "none"
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m-%d}"
        if name == "location_id":
            value = self.refs.location_names[value]
        elif name == "grade_id":
            value = self.refs.grade_codes[value]
        return f"'{value}'"

    # 5. Saving -------------------------------------------------------------------------------------------

    def save(self) -> None:
        now = timezone.now()
        # One timestamp, user and reason for the whole import: its history rows read as one change.
        history = {"default_user": self.user, "default_change_reason": self.change_reason[:100], "default_date": now}
        with transaction.atomic():
            if self.new_candidates:
                bulk_create_recording_history(self.new_candidates, Candidate, **history)
            if self.changed_candidates:
                bulk_update_with_history(
                    self.changed_candidates, Candidate, ["date_of_birth"], batch_size=BATCH_SIZE, **history
                )
            # bulk_create copies each new candidate's primary key onto its placements (cached relation).
            new = [plan.placement for plan in self.plans if plan.is_new]
            if new:
                bulk_create_recording_history(new, Placement, **history)
            changed = [plan for plan in self.plans if not plan.is_new and plan.changed_fields()]
            if changed:
                fields = sorted({name for plan in changed for name in plan.changed_fields()}) + ["updated_at"]
                for plan in changed:
                    plan.placement.updated_at = now
                objects = [plan.placement for plan in changed]
                bulk_update_with_history(objects, Placement, fields, batch_size=BATCH_SIZE, **history)
            new_outcomes, moved_outcomes = [], []
            for plan in self.plans:
                for (code, on), destination in plan.outcomes.items():
                    existing = None if plan.is_new else self.existing_outcomes.get((plan.placement.pk, code, on))
                    if existing is None:
                        new_outcomes.append(
                            Outcome(placement=plan.placement, code=code, on=on, destination_organisation_id=destination)
                        )
                    elif existing.destination_organisation_id != destination:
                        existing.destination_organisation_id = destination
                        moved_outcomes.append(existing)
            if new_outcomes:
                bulk_create_recording_history(new_outcomes, Outcome, **history)
            if moved_outcomes:
                bulk_update_with_history(
                    moved_outcomes, Outcome, ["destination_organisation"], batch_size=BATCH_SIZE, **history
                )
            refresh = [plan.placement.pk for plan in self.plans if plan.outcome_changed]
            if refresh:
                Placement.objects.filter(pk__in=refresh).refresh_latest_outcomes()
            # Bulk writes send no post_save: tell whatever caches figures derived from records (statistics).
            announce_records_changed(sender=Placement)

    # The whole run ----------------------------------------------------------------------------------------

    def run(self, headings: Sequence[Any], rows: Iterable[Sequence[Any]]) -> ImportResult:
        positions = self.read_headings(headings)
        if positions is None:
            return self.result
        present = self.present = set(positions)
        parsed: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(rows, start=HEADINGS_ROW + 1):
            cells = {key: values[index] if index < len(values) else None for key, index in positions.items()}
            if not any(value is not None and value != "" and cell_text(value) is not None for value in values):
                continue
            self.result.rows_read += 1
            row = self.parse_row(number, cells)
            if row is not None:
                parsed.append((number, row))
        if self.result.rows_read == 0:
            self.error(HEADINGS_ROW + 1, "candidate_reference", "the file has headings but no rows to import")
        self.load_existing(parsed)
        self.plans: list[_Plan] = []
        self.new_candidates: list[Candidate] = []
        self.changed_candidates: list[Candidate] = []
        self.dob_rows: dict[tuple[int, str], int] = {}
        existing_plans = {id(plan): plan for plan in (*self.by_start.values(), *self.by_offer.values())}
        touched: set[int] = set()
        for number, row in parsed:
            self.apply_row(number, row, present)
        for plan in existing_plans.values():
            if plan.first_row:
                touched.add(id(plan))
                self.plans.append(plan)
        result = self.result
        result.created = sum(plan.is_new for plan in self.plans)
        result.updated = sum(
            1 for plan in self.plans if not plan.is_new and (plan.changed_fields() or plan.outcome_changed)
        )
        result.unchanged = len(touched) - result.updated
        result.candidates_created = len(self.new_candidates)
        result.outcomes_added = sum(
            1
            for plan in self.plans
            for code, on in plan.outcomes
            if plan.is_new or (plan.placement.pk, code, on) not in self.existing_outcomes
        )
        result.errors.sort(key=lambda problem: problem.row)
        if result.errors:
            result.created = result.updated = result.unchanged = 0
            result.candidates_created = result.outcomes_added = 0
        elif not self.dry_run:
            try:
                self.save()
            except IntegrityError:  # another import or an edit got there first, between our check and our save
                result.created = result.updated = result.unchanged = 0
                result.candidates_created = result.outcomes_added = 0
                result.errors.append(
                    ImportProblem(
                        HEADINGS_ROW,
                        "Candidate reference",
                        "some of these records were changed by someone else while the file was being imported; "
                        "nothing was saved, import the file again",
                    )
                )
        return result
