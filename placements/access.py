"""Who may see a care leaver's record, change it, and see its personal details: the one home of that rule.

Every door asks here, never keeps its own copy: the admin (lists, pages, choices, inlines, filters), the API
(lists, permissions, serializers), the hires import, and the dashboards and exports when they come. The rule
is the table `GRANTS`: for each action, the roles at the organisation that holds a record (or at one it is
nested under) that allow it, and whether a scheme administrator of the organisation that owns the record's
scheme is allowed too. A superuser may do everything; an inactive or anonymous user nothing.
See docs/decisions/0060-one-access-rule.md.

`restrict(queryset, user, action)` narrows a queryset of candidates, placements or outcomes to the records the
action is allowed on; `allows(user, action, record)` answers for one record, saved or not, and
`save_problems` says why a record may not be saved as it now stands. A door working through many records (a
page of the API, an import) keeps one `Access` for the user, so their organisations are worked out once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from schemes.choices import Role
from schemes.models import Membership, Organisation, Scheme
from schemes.reference import snapshot

from .models import Candidate, Contact, Outcome, Placement


class Action(enum.Enum):
    VIEW = "view"  # list it and open it
    CHANGE = "change"  # change, add or delete it
    VIEW_PERSONAL = "view_personal"  # see, change, filter and search its candidate's name and contact details
    MOVE = "move"  # give it another candidate or employer
    RECORD_CONTACT = "record_contact"  # record a contact with its candidate (placements/contacts.py)


@dataclass(frozen=True)
class Grant:
    holder_roles: tuple[str, ...]  # roles at the holding organisation (or above it) that allow the action
    scheme_owner: bool  # whether a scheme administrator of the owner of the record's scheme is allowed too


GRANTS = {
    Action.VIEW: Grant((Role.HR, Role.MANAGER, Role.SCHEME_ADMIN), scheme_owner=True),
    Action.CHANGE: Grant((Role.HR, Role.SCHEME_ADMIN), scheme_owner=True),
    # The organisation that holds the candidate is the controller of its people's names and contact details,
    # and the only one that files its records or moves them between its candidates and units.
    Action.VIEW_PERSONAL: Grant((Role.HR, Role.SCHEME_ADMIN), scheme_owner=False),
    Action.MOVE: Grant((Role.HR, Role.SCHEME_ADMIN), scheme_owner=False),
    # Keeping in touch with the people it has offered jobs to is the employer's: its HR and its managers, who
    # change nothing else; a scheme owner's administrator watches the waits but does not write to another
    # department's candidates (docs/decisions/0085).
    Action.RECORD_CONTACT: Grant((Role.HR, Role.MANAGER, Role.SCHEME_ADMIN), scheme_owner=False),
}

# Roles whose holders see their own organisations' individual records (and exact counts of them).
RECORD_ROLES = GRANTS[Action.VIEW].holder_roles

# A candidate's restricted personal details: shown, changed, filtered on and searched only under VIEW_PERSONAL.
PERSONAL_FIELDS = ("given_name", "family_name", "email", "phone", "personal_adviser_contact")

# The fields that say which candidate and employer a record is with; changing them is a MOVE.
_HOLDER_FIELDS = {Candidate: ("organisation_id",), Placement: ("candidate_id", "organisation_id"), Outcome: ()}


class Access:
    """One user's rights over records, from their memberships (read once per request, see Membership)."""

    def __init__(self, user):
        self.user = user
        self.active = bool(user is not None and user.is_authenticated and user.is_active)
        self.everything = self.active and user.is_superuser
        self._organisations: dict[tuple[str, ...], set[int]] = {}

    def _organisation_ids(self, roles: tuple[str, ...]) -> set[int]:
        if roles not in self._organisations:
            self._organisations[roles] = Membership.objects.organisation_ids(self.user, roles) if self.active else set()
        return self._organisations[roles]

    def holder_ids(self, action: Action) -> set[int]:
        """Organisations (with the units nested under them) whose own records the action is allowed on."""
        return self._organisation_ids(GRANTS[action].holder_roles)

    def owner_ids(self, action: Action) -> set[int]:
        """Organisations whose schemes' placements the action is allowed on, whoever holds them."""
        return self._organisation_ids((Role.SCHEME_ADMIN,)) if GRANTS[action].scheme_owner else set()

    # Many records ------------------------------------------------------------------------------------------

    def restrict(self, queryset: QuerySet, action: Action) -> QuerySet:
        if self.everything:
            return queryset
        if not self.active:
            return queryset.none()
        return queryset.filter(self._scope(queryset.model, action))

    def _scope(self, model, action: Action) -> Q:
        holders, owners = self.holder_ids(action), self.owner_ids(action)
        if model is Candidate:
            scope = Q(organisation_id__in=holders)
            if owners:
                scope |= Q(pk__in=Placement.objects.filter(scheme__owner_id__in=owners).values("candidate_id"))
            return scope
        prefix = {Placement: "", Outcome: "placement__", Contact: "placement__"}[model]
        scope = Q(**{f"{prefix}organisation_id__in": holders})
        if owners:  # only then join the schemes: the join would cost every other user's list and count
            scope |= Q(**{f"{prefix}scheme__owner_id__in": owners})
        return scope

    # One record --------------------------------------------------------------------------------------------

    def allows_ids(self, action: Action, organisation_id: int | None, scheme_owner_id: int | None = None) -> bool:
        """The action on a record held by `organisation_id` (and, for a placement, on a scheme owned by
        `scheme_owner_id`), without reading the record: for doors that have the ids (the import's rows)."""
        if self.everything:
            return True
        return organisation_id in self.holder_ids(action) or (
            scheme_owner_id is not None and scheme_owner_id in self.owner_ids(action)
        )

    def allows(self, action: Action, record) -> bool:
        """The action on one candidate, placement or outcome, as it now stands (saved or not); the same answer as
        whether `restrict` keeps it, for a saved record."""
        if self.everything:
            return True
        if not self.active:
            return False
        if isinstance(record, Outcome | Contact):
            return record.placement_id is not None and self.allows(action, record.placement)
        if isinstance(record, Placement):
            owner = record.scheme.owner_id if record.scheme_id is not None else None
            return self.allows_ids(action, record.organisation_id, owner)
        if self.allows_ids(action, record.organisation_id):
            return True
        owners = self.owner_ids(action)
        return bool(owners and record.pk) and record.placements.filter(scheme__owner_id__in=owners).exists()

    def save_problems(self, record, before=None) -> dict[str, str]:
        """Why the user may not save `record` as it now stands (empty if they may): `before` is the record as
        stored (None for a new one). Changing it needs CHANGE on it as it stands, giving it another candidate or
        employer needs MOVE on it before and after, and changing personal details needs VIEW_PERSONAL.
        Keys are the fields to show each problem on."""
        if self.everything:
            return {}
        if not self.allows(Action.CHANGE, record):
            return {_field_of(record): _refusal(record)}
        problems: dict[str, str] = {}
        moved = [
            name.removesuffix("_id")
            for name in _HOLDER_FIELDS[type(record)]
            if before is not None and getattr(record, name) != getattr(before, name)
        ]
        if moved and not (self.allows(Action.MOVE, before) and self.allows(Action.MOVE, record)):
            problems[moved[0]] = (
                "only the organisation that holds this record may give it another candidate or organisation"
            )
        if isinstance(record, Candidate) and not self.allows(Action.VIEW_PERSONAL, before or record):
            for name in PERSONAL_FIELDS:
                if getattr(record, name) != (getattr(before, name) if before is not None else ""):
                    problems[name] = "only the organisation that holds this candidate sees or changes personal details"
        return problems

    def filing_organisations(self, model) -> QuerySet:
        """Organisations a new record of `model` may be held by: the user's own, and, for a scheme administrator,
        any employer of a placement on a scheme their organisation owns (which scheme is checked on saving)."""
        if self.everything or (model is Placement and self.owner_ids(Action.CHANGE)):
            return Organisation.objects.all()
        return Organisation.objects.filter(pk__in=self.holder_ids(Action.CHANGE))


def _field_of(record) -> str:
    return "placement" if isinstance(record, Outcome) else "organisation"


def _refusal(record) -> str:
    if isinstance(record, Outcome):
        return "You cannot add or change outcomes of this placement."
    codes = snapshot()
    organisation = codes.codes(Organisation).get(record.organisation_id, "this organisation")
    if isinstance(record, Placement) and record.scheme_id is not None:
        return f"You cannot add or change records of {organisation} on {codes.codes(Scheme)[record.scheme_id]}."
    return f"You cannot add or change records of {organisation}."


def restrict(queryset: QuerySet, user, action: Action = Action.VIEW) -> QuerySet:
    """The records of `queryset` that `user` may act on: the only gate of every list."""
    return Access(user).restrict(queryset, action)


def allows(user, action: Action, record) -> bool:
    return Access(user).allows(action, record)


def filing_organisations(user, model) -> QuerySet:
    return Access(user).filing_organisations(model)
