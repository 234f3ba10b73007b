"""factory_boy factories over the seeded reference data (grades, schemes, departments exist already)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from placements.models import Candidate, Outcome, Placement
from schemes.models import Grade, Location, Organisation, Scheme


def seeded(model, **lookup):
    """A lazy lookup of a row the data migration seeded."""
    return factory.LazyFunction(lambda: model.objects.get(**lookup))


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.code}")
    kind = "department"


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Site {n}")
    region = "london"


class CandidateFactory(DjangoModelFactory):
    class Meta:
        model = Candidate

    organisation = seeded(Organisation, code="ONS")
    reference = factory.Sequence(lambda n: f"CL{n:05d}")


class PlacementFactory(DjangoModelFactory):
    class Meta:
        model = Placement

    candidate = factory.SubFactory(CandidateFactory)
    organisation = factory.SelfAttribute("candidate.organisation")
    scheme = seeded(Scheme, code="GFiE")
    location = seeded(Location, name="Newport")
    grade = seeded(Grade, code="AO")
    offered_on = datetime.date(2023, 6, 1)
    started_on = datetime.date(2023, 9, 4)


class OutcomeFactory(DjangoModelFactory):
    class Meta:
        model = Outcome

    placement = factory.SubFactory(PlacementFactory)
    code = "in_post"
    on = factory.LazyAttribute(lambda o: o.placement.started_on or o.placement.offered_on)
