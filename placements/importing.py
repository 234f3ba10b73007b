"""Import a hires spreadsheet (docs/interfaces.md section 1): all or nothing, every problem named by row and heading.

The command line (`import_placements`) and the admin import (placements/admin_import.py) both call
`import_placements_file` / `import_placements_rows`, so a file is judged the same way wherever it comes in.

The import is made of parts with one job each; this module holds the rules and runs the others:
- reading the file, within the import limits: `schemes/spreadsheet_files.py` (shared with the reference import);
- the columns, their headings and how each is read: `placements/import_columns.py`;
- matching a sheet's headings: `schemes.spreadsheets.match_headings` (shared with the reference import);
- recognising reference data in a cell: `placements/import_matching.py`;
- the rules every door shares (dates in order, date windows, formula text): `placements/rules.py`;
- writing records with their history rows: `placements/history.py`.

How a file is applied (docs/decisions/0010-hires-import-rules.md):
- Every row is checked, against the reference data and the rules, before anything is written. Any problem
  means nothing is written.
- Only the stored records the file's keys name are read: candidates by organisation and reference, their
  placements on the file's schemes, and those placements' outcomes. An import's cost follows the file, not
  the store.
- Rows are applied in order, as if each were imported in turn: a placement is found by organisation,
  candidate reference, scheme and start date, or by its offer date while it has not started; a later row
  with that offer date and a start date adds the start. Columns present in the file set the placement's
  values (an empty cell clears an optional date); columns absent from the file leave them alone.
- A row that repeats an earlier row is a warning; a row that contradicts an earlier row about the same
  placement is an error naming both rows.
- An outcome without an outcome date takes the end date; with neither, the row is refused.
- Writes are bulk inserts and updates, made a batch at a time, with their history rows, in one transaction.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from schemes.spreadsheet_files import UnreadableFile, file_label, read_first_sheet
from schemes.spreadsheets import ImportProblem, cell_text, match_headings, nul_problem, quoted

from . import rules
from .access import Access, Action
from .choices import OutcomeCode
from .history import BATCH_SIZE, batched, chunked, create_with_history, update_with_history
from .import_columns import COLUMNS, HEADING, Kind
from .import_matching import ReferenceMatcher
from .models import Candidate, Outcome, Placement
from .signals import announce_records_changed

__all__ = ["ImportResult", "UnreadableFile", "import_placements_file", "import_placements_rows", "parse_date"]

HEADINGS_ROW = 1
# A file can hold a problem in every cell; the first ones listed are enough to mend it, the rest are counted.
MAX_PROBLEMS_LISTED = 1000
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
# Stored dates a sheet cannot carry, which the rules judge a row's dates against.
STORED_ONLY_FIELDS = ("referred_on", "applied_on", "clearance_requested_on", "clearance_granted_on")
NOTHING_STORED = (None,) * len(STORED_ONLY_FIELDS)
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
    "on": "Outcome date",
}
OUTCOME_FIELD_HEADING = {
    "code": "Outcome",
    "on": "Outcome date",
    "destination_organisation": "Destination organisation",
}
# Columns naming reference data are read into ids (`grade` into `grade_id`); outcomes keep their codes.
ID_KINDS = (Kind.SCHEME, Kind.ORGANISATION, Kind.LOCATION, Kind.GRADE)
# A row's dates judged against their windows: column key -> the field the rules know it as.
ROW_DATE_FIELDS = {
    "offered_on": "offered_on",
    "started_on": "started_on",
    "planned_end_on": "planned_end_on",
    "ended_on": "ended_on",
    "outcome_on": "on",
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
    errors: list[ImportProblem] = field(default_factory=list)  # the first MAX_PROBLEMS_LISTED problems
    problems_found: int = 0  # all of them
    # Spreadsheet row number -> "new", "update" or "skip", for the admin's preview.
    row_actions: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unlisted_problems(self) -> int:
        return self.problems_found - len(self.errors)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows_read} rows read: {self.created} placements created, {self.updated} updated, "
            f"{self.unchanged} unchanged ({self.outcomes_added} outcomes and {self.candidates_created} "
            f"candidates added).{' Dry run: nothing ' + verb + ' saved.' if self.dry_run else ''}"
        )


def import_placements_file(
    source: str | Path | IO[bytes],
    *,
    name: str | None = None,
    dry_run: bool = False,
    user=None,
    change_reason: str | None = None,
) -> ImportResult:
    """Import a hires spreadsheet from a path or an open file (refused with UnreadableFile at the door if it is
    not one, or is over the import limits); see `import_placements_rows`."""
    sheet = read_first_sheet(source, name=name)
    reason = change_reason or f"Imported from {file_label(source, name)}"
    return import_placements_rows(sheet.headings, sheet.rows, dry_run=dry_run, user=user, change_reason=reason)


def import_placements_rows(
    headings: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    dry_run: bool = False,
    user=None,
    change_reason: str = "Imported from a spreadsheet",
) -> ImportResult:
    """Check every row, then (unless `dry_run` or any row is wrong) save them all in one transaction.

    `user` is the member of staff importing, named in every history row the import writes; rows for
    organisations they may not edit are refused. None (the command line without `--user`) may import for
    any organisation."""
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
        raise ValueError(f"{quoted(text)} is not a date: use a spreadsheet date, 31/03/2024 or 2024-03-31")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text} is not a real date") from None


# The import itself ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One checked row: text, ids, dates and an outcome code."""

    number: int
    candidate_reference: str
    date_of_birth: datetime.date | None
    scheme_id: int
    organisation_id: int
    business_unit: str | None
    location_id: int
    grade_id: int
    offered_on: datetime.date | None
    started_on: datetime.date | None
    planned_end_on: datetime.date | None
    ended_on: datetime.date | None
    outcome: str | None
    outcome_on: datetime.date | None
    destination_id: int | None


@dataclass(slots=True, eq=False)
class _Candidate:
    """A candidate as the file leaves it: a stored one (pk set) or one to create."""

    pk: int | None
    organisation_id: int
    reference: str
    date_of_birth: datetime.date | None
    stored_date_of_birth: datetime.date | None = None
    date_of_birth_row: int = 0  # the first row that gave a date of birth


@dataclass(slots=True, eq=False)
class _Plan:
    """A placement as the file leaves it: a stored one (with the values it had) or a new one."""

    pk: int | None
    is_new: bool
    candidate: _Candidate
    scheme_id: int
    organisation_id: int
    values: dict[str, Any]  # PLACEMENT_FIELDS, as the file leaves them
    original: tuple  # PLACEMENT_FIELDS, as they were (tuples: a file of 100,000 rows holds 100,000 of each)
    stored: tuple  # STORED_ONLY_FIELDS
    first_row: int = 0
    outcomes: dict[tuple[str, datetime.date], int | None] = field(default_factory=dict)  # (code, on) -> destination
    outcome_changed: bool = False
    candidate_changed: bool = False  # a row about this placement changed its candidate's date of birth

    def changed_fields(self) -> list[str]:
        return [name for name, was in zip(PLACEMENT_FIELDS, self.original, strict=True) if self.values[name] != was]


class _HiresImport:
    """One run of the hires import: headings, then every row checked, then (if all is well) one save."""

    def __init__(self, *, user, dry_run: bool, change_reason: str) -> None:
        self.user = user
        self.dry_run = dry_run
        self.change_reason = change_reason
        self.result = ImportResult(dry_run=dry_run)
        self.refs = ReferenceMatcher()
        self.windows = rules.DateWindows.from_settings()
        self.access = self._permissions()

    def _permissions(self) -> Access | None:
        """The user's rights over records (placements/access.py), worked out once; None: the command line, which
        imports anything."""
        return None if self.user is None else Access(self.user)

    def _may_import(self, row: dict[str, Any]) -> bool:
        """A row adds or changes a placement of its organisation on its scheme (and, with it, its candidate)."""
        owner = self.refs.scheme_owners[row["scheme_id"]]
        return self.access is None or self.access.allows_ids(Action.CHANGE, row["organisation_id"], owner)

    def error(self, row: int, key_or_heading: str, message: str) -> None:
        self.result.problems_found += 1
        if len(self.result.errors) < MAX_PROBLEMS_LISTED:
            self.result.errors.append(ImportProblem(row, HEADING.get(key_or_heading, key_or_heading), message))

    # 1. Headings, then rows -------------------------------------------------------------------------------

    def run(self, headings: Sequence[Any], rows: Iterable[Sequence[Any]]) -> ImportResult:
        matched = match_headings(headings, COLUMNS)
        self.result.warnings.extend(matched.warnings)
        for heading, message in matched.problems:
            self.error(HEADINGS_ROW, heading, message)
        if matched.problems:
            return self.result
        self.positions = matched.positions
        parsed: list[_Row] = []
        for number, values in enumerate(rows, start=HEADINGS_ROW + 1):
            if all(cell_text(value) is None for value in values):
                continue
            self.result.rows_read += 1
            row = self.parse_row(number, values)
            if row is not None:
                parsed.append(row)
        if self.result.rows_read == 0:
            self.error(HEADINGS_ROW + 1, "candidate_reference", "the file has headings but no rows to import")
        self.load_existing(parsed)
        self.new_plans: list[_Plan] = []
        self.new_candidates: list[_Candidate] = []
        for row in parsed:
            self.apply_row(row)
        del parsed
        self.count()
        if self.result.errors:
            self.forget_counts()
        elif not self.dry_run:
            try:
                self.save()
            except IntegrityError:  # another import or an edit got there first, between our check and our save
                self.forget_counts()
                self.error(
                    HEADINGS_ROW,
                    "candidate_reference",
                    "some of these records were changed by someone else while the file was being imported; "
                    "nothing was saved, import the file again",
                )
        self.result.errors.sort(key=lambda problem: problem.row)
        return self.result

    # 2. One row's cells ------------------------------------------------------------------------------------

    def parse_row(self, number: int, cells: Sequence[Any]) -> _Row | None:
        """Turn one row's cells into text, ids, dates and codes; report every problem found (None if any)."""
        problems: dict[str, str] = {}  # heading -> the row's first problem with it
        values: dict[str, Any] = {}
        shown: dict[str, str] = {}  # dates as written, for messages about them
        unreadable_dates = False
        for column in COLUMNS:
            name = f"{column.key}_id" if column.kind in ID_KINDS else column.key
            index = self.positions.get(column.key)
            raw = cells[index] if index is not None and index < len(cells) else None
            text = cell_text(raw)
            values[name] = None
            if text is None:
                if column.required:
                    problems.setdefault(column.heading, "is empty; every row needs it")
                continue
            if problem := nul_problem(text):
                problems.setdefault(column.heading, problem)
                unreadable_dates |= column.kind == Kind.DATE
                continue
            if column.kind == Kind.TEXT:
                values[name] = text
                if len(text) > column.max_length:
                    problems.setdefault(
                        column.heading, f"is {len(text):,} characters long; at most {column.max_length} fit"
                    )
                elif problem := rules.text_problems(text=text).get("text"):
                    problems.setdefault(column.heading, problem)
            elif column.kind == Kind.DATE:
                try:
                    values[name] = parse_date(raw)
                except ValueError as problem:
                    problems.setdefault(column.heading, str(problem))
                    unreadable_dates = True
                if isinstance(raw, str):
                    shown[name] = text
            else:
                values[name] = self._look_up(column.kind, text, values.get("organisation_id"))
                if values[name] is None:
                    problems.setdefault(column.heading, self.refs.unknown(column.kind.value, text))
        self._check_access(values, problems)
        self._check_row_date_windows(values, shown, problems)
        if problems and "started_on" in self.positions and not unreadable_dates:
            # This row will not be applied, so check its dates on their own now: every problem in one report.
            # (Not when a date could not be read: the others would be judged against a missing date.)
            self._check_row_dates_alone(values, problems)
        for heading, message in problems.items():
            self.error(number, heading, message)
        return None if problems else _Row(number=number, **values)

    def _look_up(self, kind: Kind, text: str, organisation_id: int | None) -> Any:
        """The id (or outcome code) a cell names, found by its folded spelling; None if it names nothing known."""
        folded = self.refs.fold(text)
        if kind == Kind.GRADE:
            return self.refs.grade(folded, organisation_id)
        return {
            Kind.SCHEME: self.refs.schemes,
            Kind.ORGANISATION: self.refs.organisations,
            Kind.LOCATION: self.refs.locations,
            Kind.OUTCOME: self.refs.outcomes,
        }[kind].get(folded)

    def _check_access(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        """May this user import records for the row's organisation and scheme (when both are known)?"""
        if values.get("organisation_id") and values.get("scheme_id") and not self._may_import(values):
            code = self.refs.organisation_codes[values["organisation_id"]]
            problems.setdefault("Organisation", f"you may not import records for {code}")

    def _check_row_date_windows(self, values: dict[str, Any], shown: dict[str, str], problems: dict[str, str]):
        """Every date within its window (placements/rules.py), the date of birth against the row's offer."""
        scheme_id = values["scheme_id"]
        dates = {field: values[key] for key, field in ROW_DATE_FIELDS.items()}
        outside = rules.date_window_problems(
            dates,
            scheme_first_year=self.refs.scheme_first_years.get(scheme_id),
            scheme=self.refs.scheme_codes.get(scheme_id, ""),
            windows=self.windows,
            shown={field: shown[key] for key, field in ROW_DATE_FIELDS.items() if key in shown},
        )
        for name, message in outside.items():
            problems.setdefault(FIELD_HEADING[name], message)
        if problem := rules.date_of_birth_problems(
            values["date_of_birth"],
            offered_on=values["offered_on"],
            started_on=values["started_on"],
            windows=self.windows,
            shown=shown.get("date_of_birth", ""),
        ):
            problems.setdefault(HEADING["date_of_birth"], problem)

    def _check_row_dates_alone(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        found = rules.placement_date_problems(
            offered_on=values["offered_on"],
            started_on=values["started_on"],
            planned_end_on=values["planned_end_on"],
            ended_on=values["ended_on"],
        )
        found = {FIELD_HEADING.get(name, name): message for name, message in found.items()}
        if values["outcome"] is not None:
            on = values["outcome_on"] or values["ended_on"]
            outcome = rules.outcome_problems(code=values["outcome"], on=on, started_on=values["started_on"])
            found.update({OUTCOME_FIELD_HEADING[name]: message for name, message in outcome.items()})
        for heading, message in found.items():
            problems.setdefault(heading, message)

    # 3. Stored records the file names ----------------------------------------------------------------------

    def load_existing(self, parsed: list[_Row]) -> None:
        """The candidates the file's rows name (by organisation and reference), their placements on the file's
        schemes and those placements' outcomes: nothing else, whatever the store holds."""
        references: dict[int, set[str]] = {}
        for row in parsed:
            references.setdefault(row.organisation_id, set()).add(row.candidate_reference)
        # Candidates are read without `for_user` scoping on purpose: only to avoid creating a second
        # candidate with a reference the organisation already uses; nothing read here is shown.
        self.candidates: dict[tuple[int, str], _Candidate] = {}
        for organisation_id, named in references.items():
            for chunk in chunked(sorted(named)):
                found = Candidate.objects.filter(organisation_id=organisation_id, reference__in=chunk)
                for pk, reference, date_of_birth in found.order_by().values_list("pk", "reference", "date_of_birth"):
                    self.candidates[(organisation_id, reference)] = _Candidate(
                        pk, organisation_id, reference, date_of_birth, stored_date_of_birth=date_of_birth
                    )
        by_pk = {candidate.pk: candidate for candidate in self.candidates.values()}
        scheme_ids = sorted({row.scheme_id for row in parsed})
        placements = Placement.objects.all() if self.user is None else Placement.objects.for_user(self.user)
        self.by_start: dict[tuple, _Plan] = {}
        self.by_offer: dict[tuple, _Plan] = {}
        plans_by_pk: dict[int, _Plan] = {}
        columns = ("pk", "candidate_id", "scheme_id", "organisation_id", *PLACEMENT_FIELDS, *STORED_ONLY_FIELDS)
        stored_from = 4 + len(PLACEMENT_FIELDS)
        for chunk in chunked(list(by_pk)):
            found = placements.filter(candidate_id__in=chunk, scheme_id__in=scheme_ids).order_by()
            for values in found.values_list(*columns):
                plan = _Plan(
                    pk=values[0],
                    is_new=False,
                    candidate=by_pk[values[1]],
                    scheme_id=values[2],
                    organisation_id=values[3],
                    values=dict(zip(PLACEMENT_FIELDS, values[4:stored_from], strict=True)),
                    original=values[4:stored_from],
                    stored=values[stored_from:],
                )
                self._index(plan)
                plans_by_pk[plan.pk] = plan
        self.existing_plans = list(plans_by_pk.values())
        self.existing_outcomes: dict[tuple[int, str, datetime.date], tuple[int, int | None]] = {}
        for chunk in chunked(list(plans_by_pk)):
            found = Outcome.objects.filter(placement_id__in=chunk).order_by()
            for pk, placement_id, code, on, destination in found.values_list(
                "pk", "placement_id", "code", "on", "destination_organisation_id"
            ):
                plans_by_pk[placement_id].outcomes[(code, on)] = destination
                self.existing_outcomes[(placement_id, code, on)] = (pk, destination)

    def _index(self, plan: _Plan) -> None:
        candidate, values = plan.candidate, plan.values
        if values["started_on"] is not None:
            self.by_start[(candidate.organisation_id, candidate.reference, plan.scheme_id, values["started_on"])] = plan
        if values["offered_on"] is not None:
            self.by_offer[(candidate.organisation_id, candidate.reference, plan.scheme_id, values["offered_on"])] = plan

    # 4. Applying rows in order ---------------------------------------------------------------------------

    def find_plan(self, row: _Row) -> _Plan | None | bool:
        """The placement a row is about; None for a new one; False if the row contradicts what is recorded."""
        key = (row.organisation_id, row.candidate_reference, row.scheme_id)
        start, offer = row.started_on, row.offered_on
        if start is not None and (plan := self.by_start.get((*key, start))):
            return plan
        if offer is not None and (plan := self.by_offer.get((*key, offer))):
            recorded = plan.values["started_on"]
            if recorded is None or recorded == start:
                return plan
            wanted = f"gives {start:%Y-%m-%d}" if start else "gives none"
            where = f"row {plan.first_row}" if plan.first_row else "the records"
            self.error(
                row.number,
                "started_on",
                f"the offer made on {offer:%Y-%m-%d} to {row.candidate_reference} starts on {recorded:%Y-%m-%d} "
                f"in {where}, but this row {wanted}",
            )
            return False
        return None

    def apply_row(self, row: _Row) -> None:
        """Apply one checked row to the placement it is about (in memory), or record why it cannot be."""
        plan = self.find_plan(row)
        if plan is False:
            return
        action = None  # decided below for an existing placement: "update" or "skip"
        if plan is None:
            plan = self.new_plan(row)
            self.new_plans.append(plan)
            action = "new"
        number = row.number
        before = plan.values
        wanted = dict(before)
        wanted["location_id"], wanted["grade_id"] = row.location_id, row.grade_id
        for key in ("business_unit", "offered_on", "started_on", "planned_end_on", "ended_on"):
            if key in self.positions:
                wanted[key] = getattr(row, key) if key != "business_unit" else row.business_unit or ""

        problems = rules.placement_date_problems(
            **dict(zip(STORED_ONLY_FIELDS, plan.stored, strict=True)),
            offered_on=wanted["offered_on"],
            started_on=wanted["started_on"],
            planned_end_on=wanted["planned_end_on"],
            ended_on=wanted["ended_on"],
        )
        for name, message in problems.items():
            self.error(number, FIELD_HEADING[name], message)
        new_offer = wanted["offered_on"]
        if new_offer is not None and new_offer != before["offered_on"]:
            candidate = plan.candidate
            other = self.by_offer.get((candidate.organisation_id, candidate.reference, plan.scheme_id, new_offer))
            if other is not None and other is not plan:
                self.error(
                    number,
                    "offered_on",
                    f"{row.candidate_reference} already has another placement on this scheme offered on "
                    f"{new_offer:%Y-%m-%d}",
                )
                return
        if problems:
            return

        outcome = self.outcome_for(row, wanted)
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
        plan.values = wanted
        self._index(plan)
        outcome_changed = False
        if outcome is not None:
            code, on, destination = outcome
            if plan.outcomes.get((code, on), "absent") != destination:
                plan.outcomes[(code, on)] = destination
                plan.outcome_changed = outcome_changed = True
        candidate_changed = self._set_date_of_birth(row, plan)
        plan.candidate_changed |= candidate_changed
        if action is None:
            if changes or outcome_changed or candidate_changed:
                action = "update"
            else:
                action = "skip"
                if plan.first_row and plan.first_row != number:
                    self.result.warnings.append(f"Row {number} repeats row {plan.first_row}; it was counted once.")
        plan.first_row = plan.first_row or number
        self.result.row_actions[number] = action

    def new_plan(self, row: _Row) -> _Plan:
        """A placement to create, for a candidate found by reference or created with it."""
        key = (row.organisation_id, row.candidate_reference)
        candidate = self.candidates.get(key)
        if candidate is None:
            candidate = self.candidates[key] = _Candidate(None, row.organisation_id, row.candidate_reference, None)
            self.new_candidates.append(candidate)
        values = dict.fromkeys(PLACEMENT_FIELDS)
        values.update(business_unit="", location_id=row.location_id, grade_id=row.grade_id)
        return _Plan(
            pk=None,
            is_new=True,
            candidate=candidate,
            scheme_id=row.scheme_id,
            organisation_id=row.organisation_id,
            values=values,
            original=tuple(values.values()),
            stored=NOTHING_STORED,
        )

    def outcome_for(self, row: _Row, wanted: dict[str, Any]):
        """(code, date, destination) for the row's outcome, None if it has none, False if it is wrong."""
        code = row.outcome
        if code is None:
            if row.outcome_on is not None or row.destination_id is not None:
                self.error(row.number, "outcome", "is empty, but the row gives an outcome date or destination")
                return False
            return None
        on = row.outcome_on or wanted["ended_on"]
        if on is None:
            self.error(
                row.number, "outcome_on", f"give the date of '{OutcomeCode(code).label}' (the row has no end date)"
            )
            return False
        problems = rules.outcome_problems(
            code=code, on=on, started_on=wanted["started_on"], has_destination=row.destination_id is not None
        )
        for name, message in problems.items():
            self.error(row.number, OUTCOME_FIELD_HEADING[name], message)
        return False if problems else (code, on, row.destination_id)

    def _set_date_of_birth(self, row: _Row, plan: _Plan) -> bool:
        """Give the candidate the row's date of birth; True if that changes a stored candidate."""
        date_of_birth, candidate = row.date_of_birth, plan.candidate
        if date_of_birth is None:
            return False
        if candidate.date_of_birth_row and candidate.date_of_birth != date_of_birth:
            self.error(
                row.number,
                "date_of_birth",
                f"row {candidate.date_of_birth_row} gives {candidate.date_of_birth:%Y-%m-%d} for {candidate.reference}",
            )
            return False
        candidate.date_of_birth_row = candidate.date_of_birth_row or row.number
        changed = candidate.date_of_birth != date_of_birth
        candidate.date_of_birth = date_of_birth
        return changed and candidate.pk is not None

    def _shown(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "none"
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m-%d}"
        if name == "location_id":
            value = self.refs.location_names[value]
        elif name == "grade_id":
            value = self.refs.grade_codes[value]
        return quoted(str(value))

    # 5. Counting and saving ------------------------------------------------------------------------------

    def count(self) -> None:
        result = self.result
        self.touched = [plan for plan in self.existing_plans if plan.first_row]
        result.created = len(self.new_plans)
        result.updated = sum(
            1 for plan in self.touched if plan.changed_fields() or plan.outcome_changed or plan.candidate_changed
        )
        result.unchanged = len(self.touched) - result.updated
        result.candidates_created = len(self.new_candidates)
        result.outcomes_added = sum(len(plan.outcomes) for plan in self.new_plans) + sum(
            (plan.pk, code, on) not in self.existing_outcomes for plan in self.touched for code, on in plan.outcomes
        )

    def forget_counts(self) -> None:
        result = self.result
        result.created = result.updated = result.unchanged = 0
        result.candidates_created = result.outcomes_added = 0

    def save(self) -> None:
        now = timezone.now()
        # One timestamp, user and reason for the whole import: its history rows read as one change.
        history = {"user": self.user, "reason": self.change_reason, "when": now}
        changed_candidates = [
            Candidate(pk=candidate.pk, date_of_birth=candidate.date_of_birth)
            for candidate in self.candidates.values()
            if candidate.pk is not None and candidate.date_of_birth != candidate.stored_date_of_birth
        ]
        with transaction.atomic():
            for batch in chunked(self.new_candidates, BATCH_SIZE):
                created = [
                    Candidate(organisation_id=c.organisation_id, reference=c.reference, date_of_birth=c.date_of_birth)
                    for c in batch
                ]
                create_with_history(created, Candidate, **history)
                for candidate, record in zip(batch, created, strict=True):
                    candidate.pk = record.pk
            if changed_candidates:
                update_with_history(changed_candidates, Candidate, ["date_of_birth"], **history)
            for batch in chunked(self.new_plans, BATCH_SIZE):
                created = [self._placement(plan) for plan in batch]
                create_with_history(created, Placement, **history)
                for plan, record in zip(batch, created, strict=True):
                    plan.pk = record.pk
            changed = [plan for plan in self.touched if plan.changed_fields()]
            if changed:
                fields = sorted({name for plan in changed for name in plan.changed_fields()}) + ["updated_at"]
                records = [self._placement(plan, updated_at=now) for plan in changed]
                update_with_history(records, Placement, fields, **history)
            for batch in batched(self._new_outcomes(), BATCH_SIZE):
                create_with_history(batch, Outcome, **history)
            moved = list(self._moved_outcomes())
            if moved:
                update_with_history(moved, Outcome, ["destination_organisation"], **history)
            for chunk in chunked([plan.pk for plan in (*self.new_plans, *self.touched) if plan.outcome_changed]):
                Placement.objects.filter(pk__in=chunk).refresh_latest_outcomes()
            # Bulk writes send no post_save: tell whatever caches figures derived from records (statistics).
            announce_records_changed(sender=Placement)

    @staticmethod
    def _placement(plan: _Plan, **extra) -> Placement:
        """The placement to insert, or (with its primary key) to update: every field a row sets."""
        return Placement(
            pk=plan.pk,
            candidate_id=plan.candidate.pk,
            organisation_id=plan.organisation_id,
            scheme_id=plan.scheme_id,
            **plan.values,
            **extra,
        )

    def _new_outcomes(self) -> Iterator[Outcome]:
        for plan in (*self.new_plans, *self.touched):
            for (code, on), destination in plan.outcomes.items():
                if plan.is_new or (plan.pk, code, on) not in self.existing_outcomes:
                    yield Outcome(placement_id=plan.pk, code=code, on=on, destination_organisation_id=destination)

    def _moved_outcomes(self) -> Iterator[Outcome]:
        """Stored outcomes whose destination the file corrects (a transfer's destination organisation)."""
        for plan in self.touched:
            for (code, on), destination in plan.outcomes.items():
                stored = self.existing_outcomes.get((plan.pk, code, on))
                if stored is not None and stored[1] != destination:
                    yield Outcome(pk=stored[0], destination_organisation_id=destination)
