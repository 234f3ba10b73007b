"""Reference data as the API names it, kept in the shared cache under the reference version.

A page of records shows organisations, schemes, locations and grades by code (a location by name), and the
statistics API matches the codes it is given; both read the small reference tables through a *snapshot*: the
organisation tree (`Organisation.objects.tree`) and the id-to-code maps of the four tables, each kept in Django's cache
under the reference version (`schemes.models.REFERENCE_VERSION`), which every save or delete of an
Organisation, Location, Grade or Scheme replaces, at once and again when its transaction commits. A value
computed inside a transaction is kept for everyone only once it commits. careleavers/versioned_cache.py says
why that keeps every kept value true; docs/decisions/0057 why nothing of it is kept in the process.
"""

from __future__ import annotations

from functools import cached_property

from django.db.models.signals import post_delete, post_save

from careleavers.versioned_cache import get_or_compute

from .models import REFERENCE_SECONDS, REFERENCE_VERSION, Grade, Location, Organisation, OrganisationTree, Scheme

# What the API shows each reference by: its code, or a location's name.
CODED = ((Organisation, "code"), (Scheme, "code"), (Location, "name"), (Grade, "code"))


class Snapshot:
    """The reference tables at one reference version, each read from the cache when first asked for. Hold one
    for the whole of an answer, so that all of it is named from the same version."""

    def __init__(self):
        self.version = REFERENCE_VERSION.token()

    @cached_property
    def organisations(self) -> OrganisationTree:
        return Organisation.objects.tree(self.version)

    @cached_property
    def _codes(self) -> dict[str, dict[int, str]]:
        # The key names what the entry holds, so that code expecting other maps never reads this one.
        names = ",".join(f"{model._meta.model_name}.{field}" for model, field in CODED)
        return get_or_compute(
            f"reference:{self.version}:codes:{names}",
            lambda: {
                model._meta.model_name: dict(model.objects.order_by().values_list("pk", field))
                for model, field in CODED
            },
            timeout=REFERENCE_SECONDS,
        )

    def codes(self, model) -> dict[int, str]:
        """Id to code (name for locations) of one reference model, as the API and spreadsheets name them (one
        cache read for the four maps: a page of records shows all four and needs no tree)."""
        return self._codes[model._meta.model_name]

    @cached_property
    def _scheme_ids(self) -> dict[str, int]:
        return {code.upper(): pk for pk, code in self._codes["scheme"].items()}

    def scheme_code(self, code: str) -> str | None:
        """The scheme's code as stored, matched ignoring case (None: no such scheme)."""
        pk = self._scheme_ids.get(code.upper())
        return None if pk is None else self._codes["scheme"][pk]

    def organisation_code(self, code: str) -> str | None:
        """The organisation's code as stored, matched ignoring case (None: no such organisation)."""
        pk = self.organisations.id_of(code)
        return None if pk is None else self.organisations.codes[pk]

    def parent_code(self, code: str) -> str | None:
        """The code of the organisation `code` (matched ignoring case) is nested in; None for a top-level one."""
        parent = self.organisations.parents.get(self.organisations.id_of(code))
        return None if parent is None else self.organisations.codes[parent]


def snapshot() -> Snapshot:
    """The reference tables at the current reference version (one cache read; each table one more when asked)."""
    return Snapshot()


def reference_changed(**kwargs) -> None:
    REFERENCE_VERSION.replace()


def connect() -> None:
    """Called from SchemesConfig.ready()."""
    for model in (Organisation, Location, Grade, Scheme):
        post_save.connect(reference_changed, sender=model, dispatch_uid=f"reference-save-{model.__name__}")
        post_delete.connect(reference_changed, sender=model, dispatch_uid=f"reference-delete-{model.__name__}")
