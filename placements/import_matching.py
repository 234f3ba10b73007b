"""How the hires import recognises reference data in a cell: every code, name and alias, loaded once.

A sheet names schemes, organisations, locations, grades and outcomes the way its authors do (`ONS`, `Office
for National Statistics`, `office for national statistics`, HMRC's `Officer` for EO). Each spelling is folded by
`normalise_name` (case, spaces and punctuation do not count) and looked up; nothing is ever created from a
hires sheet, and a value that matches nothing gets a "did you mean" hint when one spelling is close.
"""

from __future__ import annotations

import difflib

from schemes.models import Grade, Location, Organisation, Scheme, normalise_name
from schemes.spreadsheets import quoted

from .choices import OutcomeCode

# Longer values get no hint: no spelling of a grade or a site is that long, and comparing costs its length.
HINTED_LENGTH = 100


class ReferenceMatcher:
    """Reference data as an import reads it: folded spellings to ids (outcomes to their codes)."""

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
        scheme_rows = list(Scheme.objects.values_list("pk", "code", "name", "owner_id", "first_year"))
        for pk, _code, name, _owner, _first in scheme_rows:
            self.schemes[normalise_name(name)] = pk
        for pk, code, _name, _owner, _first in scheme_rows:
            self.schemes[normalise_name(code)] = pk
        self.scheme_codes = {pk: code for pk, code, _name, _owner, _first in scheme_rows}
        self.scheme_owners = {pk: owner for pk, _code, _name, owner, _first in scheme_rows}
        self.scheme_first_years = {pk: first for pk, _code, _name, _owner, first in scheme_rows}
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
            "scheme": [row[1] for row in scheme_rows] + [row[2] for row in scheme_rows],
            "location": list(self.location_names.values()),
            "grade": [spelling for grade in grades if grade.organisation_id is None for spelling in grade.names()],
            "outcome": [label.split(" (")[0] for _code, label in OutcomeCode.choices],
        }

    def fold(self, text: str) -> str:
        """`normalise_name`, remembered: a sheet repeats the same few names thousands of times."""
        folded = self._folded.get(text)
        if folded is None:
            folded = self._folded[text] = normalise_name(text)
        return folded

    def grade(self, folded: str, organisation_id: int | None) -> int | None:
        """A grade by spelling: the organisation's own grades first, then its parents', then the common ones."""
        while organisation_id is not None:
            if (organisation_id, folded) in self.local_grades:
                return self.local_grades[(organisation_id, folded)]
            organisation_id = self.organisation_parents.get(organisation_id)
        return self.grades.get(folded)

    def unknown(self, kind: str, value: str) -> str:
        """The message for a value that matches nothing, with the closest known spelling if there is one."""
        close = []
        if len(value) <= HINTED_LENGTH:
            close = difflib.get_close_matches(value, self._display[kind], n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else "; add it to the reference data first if it is new"
        return f"{quoted(value)} is not a known {kind}{hint}"
