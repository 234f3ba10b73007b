"""The hires spreadsheet's columns (docs/interfaces.md section 1), described once.

Everything that names, reads or explains a column derives from `COLUMNS`: the import matches headings and
parses cells by it (placements/importing.py), the admin's import page lists it (placements/admin_import.py),
the import template writes its headings, notes, example row and drop-down lists from it
(placements/import_template.py), and the tests and the benchmark build their sheets from it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import models

from schemes.spreadsheets import Column

from .models import Candidate, Outcome, Placement


class Kind(StrEnum):
    """How a column's cells are read: as text, as a date, or as a value matched in the reference data."""

    TEXT = "text"
    DATE = "date"
    SCHEME = "scheme"
    ORGANISATION = "organisation"
    LOCATION = "location"
    GRADE = "grade"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class HiresColumn(Column):
    """One column of the hires spreadsheet: its heading, how it is read, the field it sets and its note."""

    kind: Kind = Kind.TEXT
    model: type[models.Model] | None = None
    field: str = ""
    note: str = ""
    example: Any = None  # for the template's example row (reference columns take a value from the user's lists)

    @property
    def model_field(self) -> models.Field:
        return self.model._meta.get_field(self.field)

    @property
    def max_length(self) -> int | None:
        """The longest text the field holds (text columns), from the model."""
        return self.model_field.max_length if self.kind == Kind.TEXT else None


D = datetime.date

COLUMNS: list[HiresColumn] = [
    HiresColumn(
        "candidate_reference",
        "Candidate reference",
        required=True,
        model=Candidate,
        field="reference",
        note="Your organisation's own pseudonymous id for the care leaver. No names in this file.",
        example="ONS-2024-017",
    ),
    HiresColumn(
        "date_of_birth",
        "Date of birth",
        kind=Kind.DATE,
        model=Candidate,
        field="date_of_birth",
        note="Optional. The candidate must be of working age for a scheme at the offer (see the age window below).",
        example=D(2004, 5, 17),
    ),
    HiresColumn(
        "scheme",
        "Scheme",
        required=True,
        kind=Kind.SCHEME,
        model=Placement,
        field="scheme",
        note="The scheme's code or name, e.g. CLIS or GFiE.",
    ),
    HiresColumn(
        "organisation",
        "Organisation",
        required=True,
        kind=Kind.ORGANISATION,
        model=Placement,
        field="organisation",
        note="The employing organisation, by code or name.",
    ),
    HiresColumn(
        "business_unit",
        "Business unit",
        model=Placement,
        field="business_unit",
        note="Optional. Directorate, team or profession inside the organisation.",
        example="Data Science Campus",
    ),
    HiresColumn(
        "location",
        "Location",
        required=True,
        kind=Kind.LOCATION,
        model=Placement,
        field="location",
        note="The site or town of the post.",
    ),
    HiresColumn(
        "grade",
        "Grade",
        required=True,
        kind=Kind.GRADE,
        model=Placement,
        field="grade",
        note="A grade's code or name (AO, Administrative Officer), an apprenticeship level, or your own grade.",
    ),
    HiresColumn(
        "offered_on",
        "Offer date",
        kind=Kind.DATE,
        model=Placement,
        field="offered_on",
        note="The date the conditional offer was made.",
        example=D(2024, 6, 3),
    ),
    HiresColumn(
        "started_on",
        "Start date",
        kind=Kind.DATE,
        model=Placement,
        field="started_on",
        note="The first day in post. Leave empty for an offer that has not started yet.",
        example=D(2024, 9, 2),
    ),
    HiresColumn(
        "planned_end_on",
        "Planned end date",
        kind=Kind.DATE,
        model=Placement,
        field="planned_end_on",
        note="Optional. The end of the fixed term.",
        example=D(2026, 3, 1),
    ),
    HiresColumn(
        "ended_on",
        "End date",
        kind=Kind.DATE,
        model=Placement,
        field="ended_on",
        note="The actual last day, once the placement has ended. An empty cell clears a recorded end date.",
    ),
    HiresColumn(
        "outcome",
        "Outcome",
        kind=Kind.OUTCOME,
        model=Outcome,
        field="code",
        note="Optional. What happened: one of the outcomes in the list.",
    ),
    HiresColumn(
        "outcome_on",
        "Outcome date",
        kind=Kind.DATE,
        model=Outcome,
        field="on",
        note="When the outcome happened; the end date if left empty.",
        example=D(2025, 9, 1),
    ),
    HiresColumn(
        "destination",
        "Destination organisation",
        kind=Kind.ORGANISATION,
        model=Outcome,
        field="destination_organisation",
        note="For transfers only: the organisation the person moved to.",
    ),
]
BY_KEY = {column.key: column for column in COLUMNS}
HEADING = {column.key: column.heading for column in COLUMNS}
DATE_KEYS = tuple(column.key for column in COLUMNS if column.kind == Kind.DATE)
