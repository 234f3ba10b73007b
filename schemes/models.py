"""Reference data: organisations, locations, grades, schemes, targets, and staff memberships.

Reference data is small (hundreds of rows) and edited by administrators; everything else hangs off it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import backends as auth_backends
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from careleavers.versioned_cache import Version, get_or_compute

from .choices import GradeFramework, OrganisationKind, Region, Role, SchemeKind, TargetKind

# Replaced whenever an Organisation, Location, Grade or Scheme is saved or deleted (schemes/reference.py
# connects it), so what is kept of reference data in the shared cache is never read again once it changed.
REFERENCE_VERSION = Version("reference")
# What is kept of reference data is also dropped after this long: the bound on staleness, should some write
# bypass the model signals (a raw UPDATE of a reference table).
REFERENCE_SECONDS = 300
# Replaced whenever what a user may do or see changes: a membership, a user's groups or own permissions, a
# group's permissions (schemes/backends.py connects it). Users' permissions and memberships are kept under it.
ACCESS_VERSION = Version("access")
ACCESS_SECONDS = 300  # the bound on staleness should a write bypass the model signals, as above


def normalise_name(value: str) -> str:
    """Fold a name or code for matching: case, spaces and punctuation do not count."""
    return re.sub(r"[^a-z0-9]", "", str(value).lower())


class OrganisationTree:
    """Every organisation's code and parent: the one place the nesting of organisations is walked (a record
    scope, a filter, a statistics scope, the check that nothing sits inside itself), to any depth.

    Built from plain dicts, as kept in the cache (`OrganisationQuerySet.tree`)."""

    def __init__(self, codes: dict[int, str], parents: dict[int, int | None]):
        self.codes = codes
        self.parents = parents
        self.children: dict[int, list[int]] = {}
        for pk, parent in parents.items():
            if parent is not None:
                self.children.setdefault(parent, []).append(pk)
        self._ids = {code.upper(): pk for pk, code in codes.items()}

    def descendant_ids(self, roots: Iterable[int]) -> set[int]:
        """The given organisations and everything nested under them."""
        found = set(roots)
        frontier = list(found)
        while frontier:
            frontier = [child for pk in frontier for child in self.children.get(pk, ()) if child not in found]
            found.update(frontier)
        return found

    def ancestor_ids(self, pk: int | None) -> list[int]:
        """`pk` and the organisations it sits in, nearest first (stopping should the rows hold a loop)."""
        chain: list[int] = []
        while pk is not None and pk not in chain:
            chain.append(pk)
            pk = self.parents.get(pk)
        return chain

    def id_of(self, code: str) -> int | None:
        """The organisation with this code, matched ignoring case (None: no such organisation)."""
        return self._ids.get(code.upper())


class OrganisationQuerySet(models.QuerySet):
    def tree(self, version: str | None = None) -> OrganisationTree:
        """Every organisation's code and parent, kept in the shared cache under the reference version (the
        current one, or `version` as read by a caller): a cache read instead of a query wherever the nesting
        is walked (careleavers/versioned_cache.py)."""
        key = f"reference:{version or REFERENCE_VERSION.token()}:organisations"
        return OrganisationTree(*get_or_compute(key, self.tree_maps, timeout=REFERENCE_SECONDS))

    def tree_maps(self) -> tuple[dict[int, str], dict[int, int | None]]:
        """What `tree` keeps, read from the database: ids to codes, and ids to parents' ids."""
        rows = Organisation.objects.order_by().values_list("pk", "code", "parent_id")
        return {pk: code for pk, code, _ in rows}, {pk: parent for pk, _, parent in rows}

    def descendant_ids(self, roots) -> set[int]:
        """Ids of the given organisations and everything nested under them."""
        return self.tree().descendant_ids({org.pk if isinstance(org, Organisation) else int(org) for org in roots})


class Organisation(models.Model):
    """A department, agency, council or employer; nests (department -> directorate -> team)."""

    code = models.CharField(max_length=32, unique=True, help_text="Short code, e.g. ONS or DFE.")
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    history = HistoricalRecords()

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.pk is None or self.parent_id is None:
            return
        # As this transaction sees the rows (a check of a write), not as they were kept in the cache.
        tree = OrganisationTree(*Organisation.objects.tree_maps())
        if self.pk in tree.ancestor_ids(self.parent_id):
            raise ValidationError({"parent": "An organisation cannot sit inside itself."})


class Location(models.Model):
    """A site or town where people work, with its region for regional breakdowns."""

    name = models.CharField(max_length=120, unique=True)
    region = models.CharField(max_length=20, choices=Region.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Grade(models.Model):
    """A grade or apprenticeship level. Organisation-specific grades map to a common band."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    framework = models.CharField(max_length=20, choices=GradeFramework.choices)
    rank = models.PositiveSmallIntegerField(help_text="Higher is more senior; orders grades in reports.")
    aliases = models.CharField(
        max_length=300, blank=True, help_text="Other names departments use, comma-separated (e.g. Officer, EA)."
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Only for an organisation's own pay scale; empty for common grades.",
    )
    band = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"organisation__isnull": True},
        help_text="The common grade this organisation-specific grade counts as in cross-organisation reports.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["framework", "rank"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=True, band__isnull=True)
                | models.Q(organisation__isnull=False, band__isnull=False),
                name="grade_local_grades_have_a_band",
                violation_error_message="An organisation's own grade must map to a common band, "
                "and a common grade has no band.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def alias_list(self) -> list[str]:
        return [alias.strip() for alias in self.aliases.split(",") if alias.strip()]

    def names(self) -> list[str]:
        """Every spelling an import may use for this grade."""
        return [self.code, self.name, *self.alias_list()]


class Scheme(models.Model):
    """An employment scheme (CLIS, GFiE, a council's apprenticeship scheme...)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=SchemeKind.choices)
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="owned_schemes", help_text="Who runs the scheme."
    )
    length_months = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Typical length.")
    first_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The year of the scheme's first intake: no date of a placement on it is earlier. "
        "Left empty, the product's earliest year applies (RECORD_DATES_EARLIEST_YEAR).",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


PERIOD_PATTERN = r"^\d{4}(-\d{2})?$"


class Target(models.Model):
    """A pledge or target set by an organisation for a scheme and a period (`2024` or `2024-25`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="targets")
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="targets")
    period = models.CharField(max_length=7, help_text="Calendar year (2024) or financial year (2024-25).")
    kind = models.CharField(max_length=24, choices=TargetKind.choices)
    number = models.PositiveIntegerField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "scheme", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scheme", "period", "kind"], name="target_unique_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period__regex=PERIOD_PATTERN),
                name="target_period_format",
                violation_error_message="Period must be a year (2024) or a financial year (2024-25).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code} {self.scheme.code} {self.period}: {self.get_kind_display()} {self.number}"

    def clean(self):
        if self.period and re.match(PERIOD_PATTERN, self.period) and "-" in self.period:
            start, end = self.period.split("-")
            if (int(start) + 1) % 100 != int(end):
                raise ValidationError(
                    {
                        "period": f"{self.period} is not a financial year; did you mean "
                        f"{start}-{(int(start) + 1) % 100:02d}?"
                    }
                )


class MembershipQuerySet(models.QuerySet):
    def organisation_ids(self, user, roles) -> set[int]:
        """Organisations (with everything nested under them) where `user` holds one of `roles`.

        A request asks this several times (which records, which of them editable, which schemes administered):
        the memberships come from `held_access`, the tree from the cache too (`Organisation.objects.tree`)."""
        if user is None or not user.is_authenticated:
            return set()
        _, memberships = held_access(user)
        roots = {organisation for organisation, role in memberships if role in roles}
        return Organisation.objects.tree().descendant_ids(roots) if roots else set()


def held_access(user) -> tuple[frozenset[str], tuple[tuple[int, str], ...]]:
    """A signed-in user's permission names (as Django's ModelBackend gives them) and memberships (organisation
    id, role): one entry in the shared cache under the access version, which any change of either replaces
    (schemes/backends.py), and kept on the user object once read, as Django keeps a user's permissions (each
    request authenticates its own). One entry, not one for each, because every request asks for both: its
    permission check and its record scope (BENCHMARKS.md "API"). Plain tuples, so that an entry written by
    another release of the code reads the same."""
    held = getattr(user, "access_held", None)
    if held is None:
        held = user.access_held = get_or_compute(
            f"access:{ACCESS_VERSION.token()}:held:{user.pk}:{user.is_superuser}",
            lambda: (
                frozenset(auth_backends.ModelBackend().get_all_permissions(user)),
                tuple(Membership.objects.filter(user=user).order_by().values_list("organisation_id", "role")),
            ),
            timeout=ACCESS_SECONDS,
        )
    return held


class Membership(models.Model):
    """A member of staff's role at an organisation. A person may work for several organisations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_one_role_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.organisation.code}"
