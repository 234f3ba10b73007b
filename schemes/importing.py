"""Load reference data from a workbook (docs/interfaces.md section 1, "Reference data"): all or nothing, idempotent.

The workbook is read within the import limits (schemes/spreadsheet_files.py) and its headings are matched by
the rule the hires import uses (`match_headings`: case, spaces and punctuation ignored, a column twice refused).
Sheets (any may be absent):
- Organisations: Code, Name, Kind, Parent (code)
- Locations: Name, Region
- Schemes: Code, Name, Kind, Owner (organisation code), Length in months, First year (of the first intake)
- Grades: Code, Name, Rank, Aliases (comma-separated); optionally Framework, and Organisation and Band for an
  organisation's own grade (its pay scale) with the common grade it counts as in reports
- Targets: Organisation, Scheme, Period, Kind, Number

Rows are matched on Code (Locations on Name, Targets on organisation, scheme, period and kind), so loading
the same workbook twice changes nothing; codes match whatever their case, and an optional column left
out of a sheet (Parent, Length in months, First year, Aliases, Framework) leaves that field as it is. Every row of
every sheet is checked before anything is written; a reference to an organisation or scheme may point at a
row of the same workbook or at what is stored.
Reference data is small, so rows are saved one by one (each change lands in the model's history).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from .choices import GradeFramework, OrganisationKind, Region, SchemeKind, TargetKind
from .models import PERIOD_PATTERN, Grade, Location, Organisation, Scheme, Target, normalise_name
from .spreadsheet_files import read_workbook
from .spreadsheets import Column, ImportProblem, cell_text, formula_problem, match_headings, nul_problem, quoted

C = Column
SHEETS: dict[str, list[Column]] = {
    "Organisations": [C("code", "Code", True), C("name", "Name", True), C("kind", "Kind", True), C("parent", "Parent")],
    "Locations": [C("name", "Name", True), C("region", "Region", True)],
    "Schemes": [
        C("code", "Code", True),
        C("name", "Name", True),
        C("kind", "Kind", True),
        C("owner", "Owner", True),
        C("length", "Length in months"),
        C("first_year", "First year"),
    ],
    "Grades": [
        C("code", "Code", True),
        C("name", "Name", True),
        C("rank", "Rank", True),
        C("aliases", "Aliases"),
        C("framework", "Framework"),
        C("organisation", "Organisation"),
        C("band", "Band"),
    ],
    "Targets": [
        C("organisation", "Organisation", True),
        C("scheme", "Scheme", True),
        C("period", "Period", True),
        C("kind", "Kind", True),
        C("number", "Number", True),
    ],
}
HEADINGS = {sheet: {column.key: column.heading for column in columns} for sheet, columns in SHEETS.items()}
# Optional columns and the field each sets: a sheet without the column leaves that field as it is.
OPTIONAL_FIELDS = {
    "Organisations": {"parent": "parent_id"},
    "Schemes": {"length": "length_months", "first_year": "first_year"},
    "Grades": {"aliases": "aliases", "framework": "framework", "organisation": "organisation_id", "band": "band_id"},
}
# Text columns and the model whose field of the same name bounds their length.
TEXT_FIELDS = {
    "Organisations": (Organisation, ("code", "name")),
    "Locations": (Location, ("name",)),
    "Schemes": (Scheme, ("code", "name")),
    "Grades": (Grade, ("code", "name", "aliases")),
}
# The years a scheme's first intake may have: none of these schemes is older, none is planned further ahead.
FIRST_YEARS = (1990, 2100)
APPRENTICESHIP_LEVEL = re.compile(r"\b(level|apprentice)", re.IGNORECASE)


@dataclass
class ReferenceImportResult:
    """Per sheet: how many rows were created, updated and left unchanged."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, sheet: str, what: str) -> None:
        tally = self.counts.setdefault(sheet, {"created": 0, "updated": 0, "unchanged": 0})
        tally[what] += 1

    def summary(self) -> str:
        if not self.counts:
            return "No reference data sheets found (Organisations, Locations, Schemes, Grades, Targets)."
        parts = [
            f"{sheet}: {tally['created']} created, {tally['updated']} updated, {tally['unchanged']} unchanged"
            for sheet, tally in self.counts.items()
        ]
        return "; ".join(parts) + (". Dry run: nothing was saved." if self.dry_run else ".")


class _Choice:
    """A fixed vocabulary matched on value or label, folded."""

    def __init__(self, choices) -> None:
        self.values = {}
        for value, label in choices.choices:
            self.values[normalise_name(label)] = value
            self.values[normalise_name(value)] = value
        self.listed = ", ".join(choices.values)

    def get(self, text: str) -> str | None:
        return self.values.get(normalise_name(text))


def import_reference_file(
    source: str | Path | IO[bytes], *, name: str | None = None, dry_run: bool = False
) -> ReferenceImportResult:
    """Read every known sheet of an .xlsx workbook (within the import limits, UnreadableFile if not), check it
    all, then save it all (unless `dry_run`)."""
    known = {normalise_name(sheet): sheet for sheet in SHEETS}
    read, others = read_workbook(source, lambda title: normalise_name(title) in known, name=name)
    result = ReferenceImportResult(dry_run=dry_run)
    for title in others:
        result.warnings.append(f"Sheet {quoted(title)} is not a reference data sheet; it was ignored.")
    sheets = {known[normalise_name(sheet.name)]: (sheet.headings, sheet.rows) for sheet in read}
    return import_reference_sheets(sheets, dry_run=dry_run, result=result)


def import_reference_sheets(
    sheets: dict[str, tuple[list[Any], Iterable[Sequence[Any]]]],
    *,
    dry_run: bool = False,
    result: ReferenceImportResult | None = None,
) -> ReferenceImportResult:
    """Check and save reference data given as {sheet name: (headings, rows)}."""
    loader = _ReferenceImport(result or ReferenceImportResult(dry_run=dry_run))
    loader.check(sheets)
    if loader.result.ok:
        with transaction.atomic():
            loader.save()
            # A dry run saves for real and rolls back, so its counts are exactly what a real run would report.
            transaction.set_rollback(dry_run)
    return loader.result


class _ReferenceImport:
    def __init__(self, result: ReferenceImportResult) -> None:
        self.result = result
        self.organisations = {normalise_name(o.code): o for o in Organisation.objects.all()}
        self.organisation_names = {normalise_name(o.name): o.code for o in self.organisations.values()}
        self.locations = {normalise_name(location.name): location for location in Location.objects.all()}
        self.schemes = {normalise_name(s.code): s for s in Scheme.objects.all()}
        self.scheme_names = {normalise_name(s.name): s.code for s in self.schemes.values()}
        # Every grade, common or an organisation's own (codes are unique across both; a row updates either).
        self.grades = {normalise_name(g.code): g for g in Grade.objects.all()}
        self.targets = {(t.organisation_id, t.scheme_id, t.period, t.kind): t for t in Target.objects.select_related()}
        # What the workbook asks for, checked, in sheet order: (sheet, row number, values).
        self.rows: dict[str, list[tuple[int, dict[str, Any]]]] = {name: [] for name in SHEETS}
        self.new_organisation_codes: dict[str, int] = {}  # folded code -> row number in this workbook
        self.new_scheme_codes: dict[str, int] = {}
        self.present: dict[str, set[str]] = {}  # the columns each sheet has: an absent one changes nothing

    def error(self, sheet: str, row: int, key: str, message: str) -> None:
        heading = HEADINGS[sheet].get(key, key)
        self.result.errors.append(ImportProblem(row, heading, message, sheet=sheet))

    # Checking -------------------------------------------------------------------------------------------

    def check(self, sheets: dict[str, tuple[list[Any], Iterable[Sequence[Any]]]]) -> None:
        parsed: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for sheet in SHEETS:
            if sheet in sheets:
                parsed[sheet] = self._read_sheet(sheet, *sheets[sheet])
        # Codes added by this workbook can be referred to by later rows and sheets.
        for sheet, codes, names in (
            ("Organisations", self.new_organisation_codes, self.organisation_names),
            ("Schemes", self.new_scheme_codes, self.scheme_names),
        ):
            for number, row in parsed.get(sheet, []):
                code, name = cell_text(row["code"]), cell_text(row["name"])
                if code:
                    codes.setdefault(normalise_name(code), number)
                    if name:
                        names.setdefault(normalise_name(name), code)
        for sheet, rows in parsed.items():
            seen: dict[Any, int] = {}
            for number, row in rows:
                getattr(self, f"_check_{sheet.lower()}")(number, row, seen)
        self._check_organisation_cycles()
        self._check_grade_bands()

    def _read_sheet(self, sheet: str, headings: list[Any], rows: Iterable[Sequence[Any]]):
        matched = match_headings(headings, SHEETS[sheet])
        self.result.warnings.extend(f"{sheet}: {warning}" for warning in matched.warnings)
        for heading, message in matched.problems:
            self.result.errors.append(ImportProblem(1, heading, message, sheet=sheet))
        if matched.problems:
            return []
        positions = matched.positions
        self.present[sheet] = set(positions)
        required = [column.key for column in SHEETS[sheet] if column.required]
        model, text_keys = TEXT_FIELDS.get(sheet, (None, ()))
        parsed = []
        for number, values in enumerate(rows, start=2):
            if all(cell_text(value) is None for value in values):
                continue
            row = {key: values[index] if index < len(values) else None for key, index in positions.items()}
            problems: dict[str, str] = {}
            for key in required:
                if cell_text(row[key]) is None:
                    problems[key] = "is empty; every row needs it"
            for key, value in row.items():
                text = cell_text(value)
                if not isinstance(value, str) or text is None:
                    continue
                limit = model._meta.get_field(key).max_length if key in text_keys else None
                if problem := nul_problem(text) or formula_problem(text):
                    problems.setdefault(key, problem)
                elif limit is not None and len(text) > limit:
                    problems.setdefault(key, f"is {len(text):,} characters long; at most {limit} fit")
            for key, problem in problems.items():
                self.error(sheet, number, key, problem)
            parsed.append((number, row))
        return parsed

    def _organisation(self, text: str | None) -> str | None:
        """The folded code of an organisation stored or added by this workbook (by code or name)."""
        if text is None:
            return None
        folded = normalise_name(text)
        if folded in self.organisations or folded in self.new_organisation_codes:
            return folded
        name = self.organisation_names.get(folded)
        return normalise_name(name) if name else None

    def _scheme(self, text: str | None) -> str | None:
        if text is None:
            return None
        folded = normalise_name(text)
        if folded in self.schemes or folded in self.new_scheme_codes:
            return folded
        code = self.scheme_names.get(folded)
        return normalise_name(code) if code else None

    def _duplicate(self, sheet: str, number: int, key: str, value: Any, seen: dict) -> bool:
        """Report a second row for the same thing in one sheet (it would be ambiguous which one wins)."""
        if value in seen:
            same = HEADINGS[sheet][key].lower()
            self.error(sheet, number, key, f"row {seen[value]} of this sheet has the same {same}")
            return True
        seen[value] = number
        return False

    def _kind(self, sheet: str, number: int, key: str, text: str | None, choices) -> str | None:
        vocabulary = _Choice(choices)
        value = vocabulary.get(text) if text else None
        if text and value is None:
            self.error(sheet, number, key, f"'{text}' is not one of: {vocabulary.listed}")
        return value

    def _check_organisations(self, number: int, row: dict[str, Any], seen: dict) -> None:
        code, name = cell_text(row["code"]), cell_text(row["name"])
        row["kind"] = self._kind("Organisations", number, "kind", cell_text(row["kind"]), OrganisationKind)
        parent = cell_text(row.get("parent"))
        row["parent"] = self._organisation(parent)
        if parent and row["parent"] is None:
            self.error("Organisations", number, "parent", f"'{parent}' is not a known organisation")
        if code:
            self._duplicate("Organisations", number, "code", normalise_name(code), seen)
        if name:
            self._duplicate("Organisations", number, "name", ("name", normalise_name(name)), seen)
            holder = self.organisation_names.get(normalise_name(name))
            if holder and code and normalise_name(holder) != normalise_name(code):
                self.error("Organisations", number, "name", f"'{name}' is already the name of {holder}")
        row.update(code=code, name=name)
        self.rows["Organisations"].append((number, row))

    def _check_organisation_cycles(self) -> None:
        parents = {code: o.parent.code if o.parent_id else None for code, o in self.organisations.items()}
        parents = {code: normalise_name(parent) if parent else None for code, parent in parents.items()}
        for _number, row in self.rows["Organisations"]:
            if row["code"]:
                parents[normalise_name(row["code"])] = row["parent"]
        for number, row in self.rows["Organisations"]:
            if not row["code"]:
                continue
            start = normalise_name(row["code"])
            step, visited = parents.get(start), set()
            while step is not None and step not in visited:
                if step == start:
                    self.error("Organisations", number, "parent", f"{row['code']} would sit inside itself")
                    break
                visited.add(step)
                step = parents.get(step)

    def _check_locations(self, number: int, row: dict[str, Any], seen: dict) -> None:
        row["name"] = cell_text(row["name"])
        row["region"] = self._kind("Locations", number, "region", cell_text(row["region"]), Region)
        if row["name"]:
            self._duplicate("Locations", number, "name", normalise_name(row["name"]), seen)
        self.rows["Locations"].append((number, row))

    def _check_schemes(self, number: int, row: dict[str, Any], seen: dict) -> None:
        code, name = cell_text(row["code"]), cell_text(row["name"])
        row["kind"] = self._kind("Schemes", number, "kind", cell_text(row["kind"]), SchemeKind)
        owner = cell_text(row["owner"])
        row["owner"] = self._organisation(owner)
        if owner and row["owner"] is None:
            self.error("Schemes", number, "owner", f"'{owner}' is not a known organisation")
        length = cell_text(row.get("length"))
        row["length"] = None
        if length is not None:
            if length.isdigit() and 0 < int(length) < 1000:
                row["length"] = int(length)
            else:
                self.error("Schemes", number, "length", f"{quoted(length)} is not a whole number of months")
        first_year = cell_text(row.get("first_year"))
        row["first_year"] = None
        if first_year is not None:
            if first_year.isdigit() and FIRST_YEARS[0] <= int(first_year) <= FIRST_YEARS[1]:
                row["first_year"] = int(first_year)
            else:
                self.error(
                    "Schemes",
                    number,
                    "first_year",
                    f"{quoted(first_year)} is not a year from {FIRST_YEARS[0]} to {FIRST_YEARS[1]}",
                )
        if code:
            self._duplicate("Schemes", number, "code", normalise_name(code), seen)
        if name:
            self._duplicate("Schemes", number, "name", ("name", normalise_name(name)), seen)
            holder = self.scheme_names.get(normalise_name(name))
            if holder and code and normalise_name(holder) != normalise_name(code):
                self.error("Schemes", number, "name", f"'{name}' is already the name of {holder}")
        row.update(code=code, name=name)
        self.rows["Schemes"].append((number, row))

    def _check_grades(self, number: int, row: dict[str, Any], seen: dict) -> None:
        code, name = cell_text(row["code"]), cell_text(row["name"])
        rank = cell_text(row["rank"])
        row["rank"] = None
        if rank is not None:
            if rank.isdigit() and int(rank) < 32768:
                row["rank"] = int(rank)
            else:
                self.error("Grades", number, "rank", f"'{rank}' is not a whole number (higher is more senior)")
        framework = cell_text(row.get("framework"))
        row["framework"] = self._kind("Grades", number, "framework", framework, GradeFramework) if framework else None
        row["aliases"] = ", ".join(
            alias.strip() for alias in (cell_text(row.get("aliases")) or "").split(",") if alias.strip()
        )
        if code:
            self._duplicate("Grades", number, "code", normalise_name(code), seen)
        row.update(code=code, name=name)
        if self.present["Grades"] & {"organisation", "band"}:
            # The two go together (an organisation's own grade always has a band, a common one never does), so
            # a sheet with either column sets both, an empty cell meaning "a common grade".
            self.present["Grades"] |= {"organisation", "band"}
            organisation, band = cell_text(row.get("organisation")), cell_text(row.get("band"))
            row["organisation"], row["band"] = self._organisation(organisation), band
            if organisation and row["organisation"] is None:
                self.error("Grades", number, "organisation", f"'{organisation}' is not a known organisation")
            if organisation and not band:
                self.error(
                    "Grades",
                    number,
                    "band",
                    "is empty; an organisation's own grade needs the common grade it counts as",
                )
            if band and not organisation:
                self.error("Grades", number, "organisation", "is empty; only an organisation's own grade has a band")
        self.rows["Grades"].append((number, row))

    def _check_grade_bands(self) -> None:
        """A band is a common grade: stored as one and not made local by this workbook, or added by it."""
        local_in_workbook = {
            normalise_name(row["code"]): bool(row.get("organisation"))
            for _number, row in self.rows["Grades"]
            if row["code"]
        }
        for number, row in self.rows["Grades"]:
            if not row.get("band"):
                continue
            band = normalise_name(row["band"])
            stored = self.grades.get(band)
            if band in local_in_workbook:
                local = local_in_workbook[band]
            elif stored is not None:
                local = stored.organisation_id is not None
            else:
                self.error("Grades", number, "band", f"'{row['band']}' is not a known grade")
                continue
            if local:
                self.error(
                    "Grades",
                    number,
                    "band",
                    f"'{row['band']}' is itself an organisation's own grade; give a common grade",
                )

    def _check_targets(self, number: int, row: dict[str, Any], seen: dict) -> None:
        organisation, scheme = cell_text(row["organisation"]), cell_text(row["scheme"])
        row["organisation"], row["scheme"] = self._organisation(organisation), self._scheme(scheme)
        if organisation and row["organisation"] is None:
            self.error("Targets", number, "organisation", f"'{organisation}' is not a known organisation")
        if scheme and row["scheme"] is None:
            self.error("Targets", number, "scheme", f"'{scheme}' is not a known scheme")
        period = cell_text(row["period"])
        row["period"] = period
        if period is not None:
            if not re.match(PERIOD_PATTERN, period):
                self.error(
                    "Targets", number, "period", f"'{period}' is not a year (2024) or a financial year (2024-25)"
                )
            elif "-" in period and (int(period[:4]) + 1) % 100 != int(period[5:]):
                start = int(period[:4])
                self.error(
                    "Targets",
                    number,
                    "period",
                    f"{period} is not a financial year; did you mean {start}-{(start + 1) % 100:02d}?",
                )
        row["kind"] = self._kind("Targets", number, "kind", cell_text(row["kind"]), TargetKind)
        amount = cell_text(row["number"])
        row["number"] = None
        if amount is not None:
            if amount.isdigit():
                row["number"] = int(amount)
            else:
                self.error("Targets", number, "number", f"'{amount}' is not a whole number")
        key = (row["organisation"], row["scheme"], period, row["kind"])
        if None not in key:
            self._duplicate("Targets", number, "period", key, seen)
        self.rows["Targets"].append((number, row))

    # Saving (only after every row of every sheet passed) -------------------------------------------------

    def _save(self, sheet: str, instance, values: dict[str, Any], created: bool, key: str = "code") -> None:
        """Create or update one row; the matching column keeps its stored spelling (`gfie` does not rename GFiE)."""
        if not created:
            values[key] = getattr(instance, key)
            for column, field_name in OPTIONAL_FIELDS.get(sheet, {}).items():
                if column not in self.present[sheet]:
                    values.pop(field_name, None)
        changed = created or any(getattr(instance, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(instance, name, value)
        if changed:
            instance._change_reason = "Imported from a reference data workbook"
            instance.save()
        self.result.count(sheet, "created" if created else "updated" if changed else "unchanged")

    @staticmethod
    def _parents_first(rows: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Organisation rows ordered so a parent added by the workbook is saved before its children."""
        pending = {normalise_name(row["code"]): row for _number, row in rows}
        ordered: list[dict[str, Any]] = []
        while pending:
            ready = [code for code, row in pending.items() if row["parent"] not in pending or row["parent"] == code]
            ready = ready or list(pending)  # a cycle is refused by the checks; never loop forever
            for code in ready:
                ordered.append(pending.pop(code))
        return ordered

    def save(self) -> None:
        for row in self._parents_first(self.rows["Organisations"]):
            folded = normalise_name(row["code"])
            organisation = self.organisations.get(folded)
            parent = self.organisations[row["parent"]] if row["parent"] else None
            values = {"code": row["code"], "name": row["name"], "kind": row["kind"], "parent_id": parent and parent.pk}
            instance = organisation or Organisation()
            self._save("Organisations", instance, values, created=organisation is None)
            self.organisations[folded] = instance
        for _number, row in self.rows["Locations"]:
            folded = normalise_name(row["name"])
            location = self.locations.get(folded)
            values = {"name": row["name"], "region": row["region"]}
            self._save("Locations", location or Location(), values, created=location is None, key="name")
        for _number, row in self.rows["Schemes"]:
            folded = normalise_name(row["code"])
            scheme = self.schemes.get(folded)
            values = {
                "code": row["code"],
                "name": row["name"],
                "kind": row["kind"],
                "owner_id": self.organisations[row["owner"]].pk,
                "length_months": row["length"],
                "first_year": row["first_year"],
            }
            created = scheme is None
            scheme = scheme or Scheme()
            self._save("Schemes", scheme, values, created=created)
            self.schemes[folded] = scheme
        # Common grades first, so an organisation's own grade can count as one added by the same workbook.
        for _number, row in sorted(self.rows["Grades"], key=lambda numbered: bool(numbered[1].get("organisation"))):
            folded = normalise_name(row["code"])
            grade = self.grades.get(folded)
            organisation = self.organisations[row["organisation"]] if row.get("organisation") else None
            framework = row["framework"] or (GradeFramework.LOCAL if organisation else grade and grade.framework)
            if framework is None:
                spelled = f"{row['code']} {row['name']}"
                apprenticeship = APPRENTICESHIP_LEVEL.search(spelled)
                framework = GradeFramework.APPRENTICESHIP if apprenticeship else GradeFramework.CIVIL_SERVICE
            values = {
                "code": row["code"],
                "name": row["name"],
                "rank": row["rank"],
                "aliases": row["aliases"],
                "framework": framework,
                "organisation_id": organisation and organisation.pk,
                "band_id": self.grades[normalise_name(row["band"])].pk if row.get("band") else None,
            }
            instance = grade or Grade()
            self._save("Grades", instance, values, created=grade is None)
            self.grades[folded] = instance
        for _number, row in self.rows["Targets"]:
            organisation = self.organisations[row["organisation"]]
            scheme = self.schemes[row["scheme"]]
            target = self.targets.get((organisation.pk, scheme.pk, row["period"], row["kind"]))
            values = {
                "organisation_id": organisation.pk,
                "scheme_id": scheme.pk,
                "period": row["period"],
                "kind": row["kind"],
                "number": row["number"],
            }
            self._save("Targets", target or Target(), values, created=target is None, key="period")
