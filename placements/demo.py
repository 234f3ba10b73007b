"""Realistic demo data: what a newcomer sees after `make run`, and a data set for benchmarks.

Shaped on published FOI answers and docs/domain.md: CLIS rounds start from November to spring with waits of
up to nine months from offer to start, about 80% of CLIS interns made permanent after a year, GFiE appointments
of up to two years, and a council apprenticeship scheme (Derby City Council's) with a pledge of 8 a year. The
same seed gives the same data; running it again changes nothing (every demo candidate's reference starts `DEMO-`).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from simple_history.utils import bulk_create_with_history

from schemes.choices import Role
from schemes.models import Grade, Location, Organisation, Scheme, Target
from schemes.services import set_up_user

from .choices import ActivityCode, ContactMethod, LegalStatus, OutcomeCode
from .models import Candidate, Contact, Outcome, Placement
from .signals import announce_records_changed

DEMO_PREFIX = "DEMO-"
DEMO_SEED = 2014
FIRST_YEAR = 2014
# Printed by `seed_demo` and shown in the README: for a local demo only, never for real data.
DEMO_PASSWORD = "demo-only-not-for-real-data"
COUNCIL_CODE = "DERBY"
COUNCIL_SCHEME_CODE = "DCC-APPS"
COUNCIL_PLEDGE = 8
# The user the demo records' history names as their author ("Changed by: demo-data"); it cannot sign in.
DEMO_DATA_USER = "demo-data"

# Departments that take on care leavers, with their sites (weighted by how often they hire there) and
# business units. All but the council are in the reference data the product ships with.
EMPLOYERS: dict[str, dict] = {
    "ONS": {
        "sites": {"Newport": 5, "Titchfield": 3, "Darlington Economic Campus": 2, "London": 1},
        "units": ["Economic Statistics", "Population and Census", "Survey Operations", "Digital Services"],
        "weight": 8,
    },
    "DFE": {
        "sites": {"Darlington Economic Campus": 3, "Sheffield": 3, "Manchester": 2, "London": 2},
        "units": ["Children's Services", "Schools Group", "Skills Group", "Operations"],
        "weight": 9,
    },
    "DWP": {
        "sites": {"Leeds": 3, "Sheffield": 2, "Newcastle upon Tyne": 2, "Manchester": 2, "Glasgow": 1},
        "units": ["Jobcentre Plus", "Child Maintenance", "Digital Group", "Finance"],
        "weight": 12,
    },
    "HMRC": {
        "sites": {"Newcastle upon Tyne": 3, "Liverpool": 2, "Leeds": 2, "Croydon": 2, "Glasgow": 1, "Edinburgh": 1},
        "units": ["Customer Services", "Customer Compliance", "Chief Digital and Information Officer Group"],
        "weight": 12,
    },
    "HMT": {
        "sites": {"Darlington Economic Campus": 2, "London": 2},
        "units": ["Public Spending", "Economics", "Corporate Centre"],
        "weight": 3,
    },
    "HO": {
        "sites": {"Croydon": 3, "Sheffield": 2, "Liverpool": 2, "London": 1},
        "units": ["UK Visas and Immigration", "Border Force", "HM Passport Office"],
        "weight": 8,
    },
    "MOJ": {
        "sites": {"London": 2, "Leeds": 2, "Nottingham": 1, "Manchester": 1},
        "units": ["HM Courts and Tribunals Service", "Legal Aid Agency", "Policy Group"],
        "weight": 8,
    },
    "CO": {
        "sites": {"London": 2, "Glasgow": 1, "York": 1, "Manchester": 1},
        "units": ["Government Digital Service", "Government Property Agency", "Commercial"],
        "weight": 5,
    },
    "DHSC": {"sites": {"London": 2, "Leeds": 2}, "units": ["Global and Public Health", "Finance"], "weight": 3},
    "DFT": {
        "sites": {"Birmingham": 2, "Leeds": 1, "London": 1, "Swansea": 1},
        "units": ["Roads and Local", "Rail", "Maritime"],
        "weight": 4,
    },
    "DEFRA": {"sites": {"York": 2, "Bristol": 2, "London": 1}, "units": ["Rural Payments", "Floods"], "weight": 4},
    "MHCLG": {
        "sites": {"Darlington Economic Campus": 2, "Birmingham": 1, "London": 1},
        "units": ["Housing", "Local Government", "Building Safety"],
        "weight": 4,
    },
}
COUNCIL_UNITS = ["Children's Services", "Adult Social Care", "Highways", "Libraries", "Customer Services"]
# A nested unit with its own records, to show that staff of a department see their units' records too.
NESTED_UNIT = ("ONS-DSC", "ONS Data Science Campus", "ONS")

LOCAL_AUTHORITIES = [
    "Derby City",
    "Derbyshire",
    "Leeds",
    "Manchester",
    "Birmingham",
    "Cardiff",
    "Newport",
    "Hampshire",
    "Kent",
    "Darlington",
    "Durham",
    "Sheffield",
    "Lambeth",
    "Croydon",
    "Glasgow City",
]
GIVEN_NAMES = ["Alex", "Jordan", "Sam", "Charlie", "Riley", "Casey", "Jamie", "Morgan", "Taylor", "Robin", "Kai"]
SKILLS = ["Excel", "customer service", "coding club", "retail experience", "caring", "football coaching", "music"]
ASPIRATIONS = ["data analyst", "social worker", "software developer", "policy adviser", "project manager"]
STRENGTHS = ["reliable", "good with people", "organised", "resilient", "curious", "calm under pressure"]


@dataclass
class DemoResult:
    created: bool
    candidates: int = 0
    placements: int = 0
    outcomes: int = 0
    waiting: int = 0


def _months_after(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, 28))


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_data_user():
    """The author of every demo record in its history: a named user, inactive and without a password."""
    users = get_user_model().objects
    return users.filter(username=DEMO_DATA_USER).first() or users.create_user(
        DEMO_DATA_USER, password=None, is_active=False, first_name="Demo data", last_name="(seed_demo)"
    )


def _get_or_create(model, defaults: dict, **lookup):
    """`get_or_create` whose creation is recorded in the history as the demo data user's (simple-history's
    `_history_user`, for saves made outside a request)."""
    found = model.objects.filter(**lookup).first()
    if found is None:
        found = model(**lookup, **defaults)
        found._history_user = demo_data_user()
        found.save()
    return found


def ensure_reference_data(first_year: int = FIRST_YEAR, last_year: int | None = None) -> dict[str, object]:
    """The council, its scheme and pledge, a nested unit and some targets; only adds what is missing."""
    last_year = last_year or timezone.localdate().year
    council = _get_or_create(
        Organisation, code=COUNCIL_CODE, defaults={"name": "Derby City Council", "kind": "council"}
    )
    code, name, parent = NESTED_UNIT
    _get_or_create(
        Organisation,
        code=code,
        defaults={"name": name, "kind": "unit", "parent": Organisation.objects.get(code=parent)},
    )
    council_scheme = _get_or_create(
        Scheme,
        code=COUNCIL_SCHEME_CODE,
        defaults={
            "name": "Derby City Council Children in Care and Leaving Care Apprenticeship Scheme",
            "kind": "apprenticeship",
            "owner": council,
            "length_months": 18,
        },
    )
    clis = Scheme.objects.get(code="CLIS")
    for year in range(2016, last_year + 1):
        _get_or_create(
            Target,
            organisation=council,
            scheme=council_scheme,
            period=str(year),
            kind="pledge",
            defaults={"number": COUNCIL_PLEDGE},
        )
        _get_or_create(
            Target,
            organisation=council,
            scheme=council_scheme,
            period=str(year),
            kind="guaranteed_interviews",
            defaults={"number": 12},
        )
    for department, number in (("ONS", 12), ("DWP", 20), ("HMRC", 20), ("DFE", 15)):
        for year in range(max(first_year, last_year - 3), last_year + 1):
            _get_or_create(
                Target,
                organisation=Organisation.objects.get(code=department),
                scheme=clis,
                period=f"{year}-{(year + 1) % 100:02d}",
                kind="target",
                defaults={"number": number},
            )
    return {"council": council, "council_scheme": council_scheme}


class _Generator:
    """Draws one placement at a time from the shapes above; all randomness comes from one seeded Random."""

    def __init__(self, rng: random.Random, today: datetime.date, council_scheme: Scheme):
        self.rng, self.today = rng, today
        self.schemes = {"CLIS": Scheme.objects.get(code="CLIS"), "GFiE": Scheme.objects.get(code="GFiE")}
        self.council_scheme = council_scheme
        self.organisations = {o.code: o for o in Organisation.objects.filter(code__in=[*EMPLOYERS, COUNCIL_CODE])}
        self.unit = Organisation.objects.get(code=NESTED_UNIT[0])
        self.locations = {location.name: location for location in Location.objects.all()}
        self.grades = {grade.code: grade for grade in Grade.objects.filter(organisation__isnull=True)}
        self.departments = [self.organisations[code] for code in EMPLOYERS]

    def scheme_and_year(self) -> tuple[Scheme, int]:
        rng, last = self.rng, self.today.year
        roll = rng.random()
        if roll < 0.03:  # about nine a year out of 3000 placements, against Derby's pledge of eight
            return self.council_scheme, rng.randint(2016, last)
        if roll < 0.25:
            return self.schemes["GFiE"], rng.choices(range(2019, last + 1), weights=range(1, last - 2017))[0]
        years = range(FIRST_YEAR, last + 1)
        return self.schemes["CLIS"], rng.choices(years, weights=[y - FIRST_YEAR + 2 for y in years])[0]

    def start_day(self, scheme: Scheme, year: int) -> datetime.date:
        """CLIS rounds start from November to the next spring; others start through the year."""
        rng = self.rng
        if scheme.code == "CLIS":
            month = rng.choice([11, 11, 12, 1, 1, 2, 3, 4])
            year = year if month >= 11 else year + 1
        else:
            month = rng.choice([1, 3, 4, 6, 9, 9, 10, 12])
        return datetime.date(year, month, rng.randint(1, 28))

    def employer(self, scheme: Scheme) -> tuple[Organisation, Location, str, Grade]:
        rng = self.rng
        if scheme == self.council_scheme:
            grade = self.grades[rng.choices(["L2", "L3", "L4"], weights=[6, 3, 1])[0]]
            return self.organisations[COUNCIL_CODE], self.locations["Derby"], rng.choice(COUNCIL_UNITS), grade
        code = rng.choices(list(EMPLOYERS), weights=[shape["weight"] for shape in EMPLOYERS.values()])[0]
        shape = EMPLOYERS[code]
        organisation = self.organisations[code]
        unit = rng.choice(shape["units"])
        if code == "ONS" and rng.random() < 0.15:
            organisation, unit = self.unit, "Data Science Campus"
        location = self.locations[_weighted(rng, shape["sites"])]
        grades = {"AO": 6, "EO": 4} if scheme.code == "CLIS" else {"AA": 2, "AO": 5, "EO": 3}
        return organisation, location, unit, self.grades[_weighted(rng, grades)]

    def candidate(self, organisation: Organisation, reference: str, offered_on: datetime.date) -> Candidate:
        rng = self.rng
        age = rng.choices([18, 19, 20, 21, 22, 23, 24, 25, 26, 28], weights=[8, 12, 14, 14, 12, 10, 9, 8, 6, 4])[0]
        return Candidate(
            organisation=organisation,
            reference=reference,
            given_name=rng.choice(GIVEN_NAMES),
            date_of_birth=offered_on - datetime.timedelta(days=age * 365 + rng.randint(0, 364)),
            legal_status=rng.choices(LegalStatus.values, weights=[1, 2, 12, 1])[0],
            responsible_local_authority=rng.choice(LOCAL_AUTHORITIES),
            english_level_2=rng.random() < 0.75,
            maths_level_2=rng.random() < 0.65,
            needs_esol=rng.random() < 0.05,
            unaccompanied_asylum_seeking_child=rng.random() < 0.06,
            skills=", ".join(rng.sample(SKILLS, 2)),
            aspirations=rng.choice(ASPIRATIONS),
            strengths=", ".join(rng.sample(STRENGTHS, 2)),
            consent_recorded_on=offered_on - datetime.timedelta(days=rng.randint(1, 20)),
        )

    def pipeline(self, scheme: Scheme, start: datetime.date) -> dict:
        """Dates from referral to start; a start after today makes an offer still waiting to start."""
        rng, today = self.rng, self.today
        civil_service = scheme != self.council_scheme
        wait = rng.randint(40, 270) if civil_service else rng.randint(14, 60)
        offered = start - datetime.timedelta(days=wait)
        if offered > today:  # a round not yet offered: move it to an offer made in the last few months
            offered = today - datetime.timedelta(days=rng.randint(5, 200))
            start = offered + datetime.timedelta(days=wait)
        applied = offered - datetime.timedelta(days=rng.randint(14, 60))
        dates = {
            "referred_on": applied - datetime.timedelta(days=rng.randint(7, 40)) if not civil_service else None,
            "applied_on": applied,
            "offered_on": offered,
        }
        if civil_service:
            requested = offered + datetime.timedelta(days=rng.randint(2, 20))
            granted = requested + datetime.timedelta(days=rng.randint(20, max(21, (start - requested).days - 5)))
            dates["clearance_requested_on"] = requested if requested <= today else None
            dates["clearance_granted_on"] = granted if granted <= today and granted <= start else None
            if dates["clearance_requested_on"] is None:
                dates["clearance_granted_on"] = None
        if start <= today:
            dates["started_on"] = start
            length = 18 if scheme.code == "CLIS" and start.year == 2025 else scheme.length_months or 12
            dates["planned_end_on"] = _months_after(start, length)
        elif rng.random() < 0.25:  # waiting, and nobody has been in touch since just after the offer
            dates["last_contact_on"] = min(today, offered + datetime.timedelta(days=rng.randint(1, 10)))
        else:  # waiting, with HR in touch every few weeks
            dates["last_contact_on"] = max(offered, today - datetime.timedelta(days=rng.randint(0, 30)))
        return dates

    def outcomes(self, scheme: Scheme, placement: Placement) -> tuple[list[Outcome], datetime.date | None]:
        """The outcome history and the end date, as at today."""
        rng, today, start = self.rng, self.today, placement.started_on
        if start is None:
            if rng.random() < 0.12:
                withdrew = placement.offered_on + datetime.timedelta(days=rng.randint(20, 120))
                if withdrew <= today:
                    return [Outcome(placement=placement, code=OutcomeCode.WITHDREW, on=withdrew)], None
            return [], None
        if rng.random() < 0.03:
            return [], None  # some records never had an outcome entered
        history = [Outcome(placement=placement, code=OutcomeCode.IN_POST, on=start)]
        year_on = _months_after(start, 12)
        if scheme == self.council_scheme:
            final = rng.choices(
                ["completed_eet", "permanent", "left_early", "completed_not_eet", "unknown"],
                weights=[55, 20, 13, 10, 2],
            )[0]
        elif scheme.code == "CLIS":
            final = rng.choices(
                ["permanent", "transferred", "probation_failed", "left_early", "completed_eet", "completed_not_eet"],
                weights=[79, 5, 4, 7, 3, 2],
            )[0]
        else:
            final = rng.choices(
                ["permanent", "completed_eet", "left_early", "probation_failed", "transferred", "unknown"],
                weights=[68, 10, 10, 5, 5, 2],
            )[0]
        if final == "probation_failed":
            day = start + datetime.timedelta(days=rng.randint(60, 180))
        elif final == "left_early":
            day = start + datetime.timedelta(days=rng.randint(30, 330))
        elif final in {"completed_eet", "completed_not_eet"}:
            day = placement.planned_end_on
        else:
            day = year_on + datetime.timedelta(days=rng.randint(0, 40))
        if day > today:
            return history, None  # still in post: the outcome has not happened yet
        if final == "permanent" and rng.random() < 0.1 and scheme.code != COUNCIL_SCHEME_CODE:
            history.append(Outcome(placement=placement, code=OutcomeCode.EXTENDED, on=year_on))
            day = _months_after(year_on, 3)
            if day > today:
                return history, None
        outcome = Outcome(placement=placement, code=final, on=day)
        if final == "transferred":
            outcome.destination_organisation = rng.choice(
                [o for o in self.departments if o.pk != placement.organisation_id]
            )
        if scheme == self.council_scheme and final in {"completed_eet", "completed_not_eet", "left_early"}:
            choices = ["F4", "F5", "P5", "F2", "F1"] if final == "completed_eet" else ["G4", "G5", "G6", "F5"]
            outcome.activity_code = ActivityCode(rng.choice(choices))
        history.append(outcome)
        ended = None if final in {"permanent", "unknown"} else day
        return history, ended


def demo_contacts(rng: random.Random, records: list[Placement], author) -> list[Contact]:
    """For each offer waiting with a last contact, the contacts behind it: one on the day of the last contact and,
    for some, an earlier one just after the offer (so the pipeline page's last contact is a contact recorded)."""
    methods = {ContactMethod.PHONE: 5, ContactMethod.EMAIL: 4, ContactMethod.TEXT: 2, ContactMethod.LETTER: 1}
    notes = ["Start date not yet confirmed", "Clearance still in progress", "Checked in; still keen", ""]
    contacts = []
    for record in records:
        if record.started_on is not None or record.last_contact_on is None:
            continue
        days = [record.last_contact_on]
        soon_after_offer = record.offered_on + datetime.timedelta(days=rng.randint(1, 5))
        if soon_after_offer < record.last_contact_on and rng.random() < 0.5:
            days.insert(0, soon_after_offer)
        for day in days:
            contacts.append(
                Contact(
                    placement_id=record.pk,
                    contacted_on=day,
                    method=_weighted(rng, methods),
                    note=rng.choice(notes),
                    recorded_by=author,
                )
            )
    return contacts


def demo_candidates():
    return Candidate.objects.filter(reference__startswith=DEMO_PREFIX)


@transaction.atomic
def remove_demo_records() -> int:
    """Delete the demo candidates, placements and outcomes (reference data and users stay)."""
    candidates = demo_candidates()
    Outcome.objects.filter(placement__candidate__in=candidates).delete()
    Placement.objects.filter(candidate__in=candidates).delete()
    count, _ = candidates.delete()
    return count


@transaction.atomic
def create_demo_records(
    placements: int = 3000, seed: int = DEMO_SEED, today: datetime.date | None = None
) -> DemoResult:
    """Create `placements` demo placements (each with its candidate and outcome history), unless demo
    records exist already. Bulk inserts, with the history rows simple_history would have written."""
    if demo_candidates().exists():
        return DemoResult(created=False, placements=Placement.objects.filter(candidate__in=demo_candidates()).count())
    today = today or timezone.localdate()
    council_scheme = ensure_reference_data(last_year=today.year)["council_scheme"]
    generator = _Generator(random.Random(seed), today, council_scheme)
    candidates, drafts = [], []
    for number in range(1, placements + 1):
        scheme, year = generator.scheme_and_year()
        organisation, location, unit, grade = generator.employer(scheme)
        dates = generator.pipeline(scheme, generator.start_day(scheme, year))
        reference = f"{DEMO_PREFIX}{organisation.code}-{number:05d}"
        candidates.append(generator.candidate(organisation, reference, dates["offered_on"]))
        drafts.append(
            {
                "organisation": organisation,
                "scheme": scheme,
                "location": location,
                "grade": grade,
                "business_unit": unit,
                **dates,
            }
        )
    authored = {"default_user": demo_data_user(), "default_change_reason": "Demo data (seed_demo)"}
    candidates = bulk_create_with_history(candidates, Candidate, batch_size=500, **authored)
    records = [Placement(candidate=candidate, **draft) for candidate, draft in zip(candidates, drafts, strict=True)]
    outcomes = []
    for record in records:
        history, ended = generator.outcomes(record.scheme, record)
        record.ended_on = ended
        outcomes.extend(history)
    records = bulk_create_with_history(records, Placement, batch_size=500, **authored)
    for outcome in outcomes:
        outcome.placement_id = outcome.placement.pk
    bulk_create_with_history(outcomes, Outcome, batch_size=500, **authored)
    # Their own Random: the placements stay the same whether or not contacts are drawn.
    contacts = demo_contacts(random.Random(seed + 1), records, authored["default_user"])
    bulk_create_with_history(contacts, Contact, batch_size=500, **authored)
    Placement.objects.filter(candidate__reference__startswith=DEMO_PREFIX).refresh_latest_outcomes()
    announce_records_changed(sender=Placement)  # bulk writes send no save signals; cached figures must go
    waiting = sum(1 for record in records if record.started_on is None)
    return DemoResult(
        created=True, candidates=len(candidates), placements=len(records), outcomes=len(outcomes), waiting=waiting
    )


DEMO_USERS = [  # (username, role, organisation)
    ("demo-hr", Role.HR, "ONS"),
    ("demo-manager", Role.MANAGER, "ONS"),
    ("demo-foi", Role.FOI, "ONS"),
    ("demo-scheme-admin", Role.SCHEME_ADMIN, "DFE"),
    ("demo-council-hr", Role.HR, COUNCIL_CODE),
    ("demo-api", Role.API, "DFE"),
]


@transaction.atomic
def ensure_demo_users(password: str = DEMO_PASSWORD) -> tuple[list[tuple[str, str, str]], str]:
    """One demo user per role and a superuser `admin`, all with the demo password; returns them and the
    API client's token (kept across runs, so a configured client keeps working)."""
    ensure_reference_data()
    users, token = [], None
    for username, role, organisation in DEMO_USERS:
        user = set_up_user(username, role, [organisation], password=password)
        users.append((username, Role(role).label, organisation))
        if role == Role.API:
            token, _ = Token.objects.get_or_create(user=user)
    admin, _ = get_user_model().objects.get_or_create(username="admin", defaults={"email": "admin@example.gov.uk"})
    admin.is_staff = admin.is_superuser = True
    admin.set_password(password)
    admin.save()
    users.append(("admin", "Superuser (everything)", "-"))
    return users, token.key
