"""The validation rules for placements and outcomes, as pure functions over plain values.

One set of rules serves the model forms (`Placement.clean`, `Outcome.clean`), the spreadsheet importer
(placements/importing.py) and the API serializers, so a record refused in one place is refused everywhere
with the same words. Each function returns {model field name: plain-English message}; an empty dict means
the values are fine. Between them they cover every CheckConstraint on Placement and Outcome, so a caller
that checks them first never meets an IntegrityError from those constraints.
"""

from __future__ import annotations

import datetime

from schemes.spreadsheets import formula_problem

from .choices import OUTCOMES_BEFORE_START, OutcomeCode

OUTCOME_LABELS = dict(OutcomeCode.choices)


def _iso(day: datetime.date) -> str:
    return f"{day:%Y-%m-%d}"


def placement_date_problems(
    *,
    referred_on: datetime.date | None = None,
    applied_on: datetime.date | None = None,
    offered_on: datetime.date | None = None,
    clearance_requested_on: datetime.date | None = None,
    clearance_granted_on: datetime.date | None = None,
    started_on: datetime.date | None = None,
    planned_end_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
) -> dict[str, str]:
    """Problems with a placement's pipeline dates, keyed by the field that is wrong."""
    problems: dict[str, str] = {}
    if not any((referred_on, applied_on, offered_on, started_on)):
        problems["started_on"] = (
            "a placement needs a start date, or an offer, application or referral date if it has not started"
        )
    if ended_on is not None:
        if started_on is None:
            problems["ended_on"] = "an end date needs a start date"
        elif ended_on < started_on:
            problems["ended_on"] = f"{_iso(ended_on)} is before the start date {_iso(started_on)}"
    if planned_end_on is not None and started_on is not None and planned_end_on < started_on:
        problems["planned_end_on"] = f"{_iso(planned_end_on)} is before the start date {_iso(started_on)}"
    if offered_on is not None and started_on is not None and started_on < offered_on:
        problems["started_on"] = f"{_iso(started_on)} is before the offer date {_iso(offered_on)}"
    if applied_on is not None and offered_on is not None and offered_on < applied_on:
        problems["offered_on"] = f"{_iso(offered_on)} is before the application date {_iso(applied_on)}"
    if clearance_requested_on and clearance_granted_on and clearance_granted_on < clearance_requested_on:
        problems["clearance_granted_on"] = (
            f"{_iso(clearance_granted_on)} is before the date security clearance was requested "
            f"{_iso(clearance_requested_on)}"
        )
    return problems


def outcome_problems(
    *,
    code: str,
    on: datetime.date | None,
    started_on: datetime.date | None,
    has_destination: bool = False,
) -> dict[str, str]:
    """Problems with an outcome for a placement that started on `started_on` (None: never started)."""
    problems: dict[str, str] = {}
    label = OUTCOME_LABELS.get(code, code)
    if started_on is None:
        if code not in OUTCOMES_BEFORE_START:
            problems["code"] = (
                f"'{label}' cannot be recorded for a placement that never started; "
                "only 'Withdrew before start' fits an offer that has not started"
            )
    elif on is not None and on < started_on:
        problems["on"] = f"{_iso(on)} is before the start date {_iso(started_on)}"
    if has_destination and code != OutcomeCode.TRANSFERRED:
        problems["destination_organisation"] = (
            f"a destination organisation is only recorded for transfers, not for '{label}'"
        )
    return problems


def text_problems(**values: str) -> dict[str, str]:
    """Free text that a spreadsheet would run as a formula once exported (imports, forms and the API refuse it)."""
    return {name: problem for name, value in values.items() if value and (problem := formula_problem(value))}


def as_sentences(problems: dict[str, str]) -> dict[str, str]:
    """The same problems written as form messages (capital letter, full stop) for `ValidationError`."""
    return {field: f"{message[0].upper()}{message[1:]}." for field, message in problems.items()}
