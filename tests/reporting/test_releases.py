"""Disclosure across releases, tried as a requester would: packs are released through the product's own doors
(the foi_pack command, the FOI page), then read back from the workbooks alone and solved together by an
attacker written here (scipy's linprog, not the product's audit): every cell of every pack is an equation over
the finest cells the packs could tell apart (organisation x scheme x start period x location x grade x outcome).
No hidden count of people may be pinned, and no count of 1 to 4 that two packs give between them (what one cell
counts and another with the same location, grade and outcome does not, or what both count) nor any year x
location x grade count may be pinned. Each world is first shown to leak when its packs are protected one by one, the old
way, so the attacker has something to find."""

import datetime
import io
import itertools
import re
from dataclasses import dataclass, field

import numpy as np
import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from reporting import releases
from reporting.breakdowns import Scope
from reporting.disclosure import Rule
from reporting.models import FoiRequest, Release
from reporting.publication import published_family
from reporting.releases import JointAudit, RegisterTable, ReleaseRead
from schemes.models import Grade, Organisation, Scheme
from schemes.services import new_token
from tests.accessible_workbooks import notes_table
from tests.factories import LocationFactory, OrganisationFactory, OutcomeFactory, PlacementFactory

D = datetime.date
THRESHOLD = 5
FIRST_YEAR = 2014  # the worlds below have no hires before it
OUTCOME_DAY = D(2024, 11, 1)  # every outcome of a world is recorded then, before any pack, and none after


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 9, 0, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Hire:
    organisation: str
    scheme: str
    started: datetime.date
    location: str
    grade: str
    outcome: str | None = None  # an outcome code, recorded on OUTCOME_DAY
    recorded: datetime.date | None = None  # when its start date was entered (None: on the day it started)

    @property
    def entered(self) -> datetime.date:
        return self.recorded or self.started


def hires(organisation, scheme, counts: dict, outcome_every: int = 3) -> list[Hire]:
    """`counts` maps (year, month, location, grade) to a number of hires started on the 10th of that month;
    every `outcome_every`-th hire of a world started before OUTCOME_DAY is recorded as still in post."""
    made = []
    for (year, month, location, grade), number in counts.items():
        for _ in range(number):
            started = D(year, month, 10)
            outcome = "in_post" if started < OUTCOME_DAY and len(made) % outcome_every == 0 else None
            made.append(Hire(organisation, scheme, started, location, grade, outcome))
    return made


def make(world_hires: list[Hire]) -> None:
    """Record each hire on its start date (so each pack counts exactly the hires started by its date), or, for
    a start date recorded late, record the offer a month before and the start date on `recorded`; and the
    outcomes on OUTCOME_DAY."""
    for hire in world_hires:
        offer = hire.started - datetime.timedelta(days=30)
        with time_machine.travel(at(offer if hire.recorded else hire.started), tick=False):
            placement = PlacementFactory(
                candidate__organisation=Organisation.objects.get(code=hire.organisation),
                scheme=Scheme.objects.get(code=hire.scheme),
                location=LocationFactory(name=hire.location),
                grade=Grade.objects.get(code=hire.grade),
                offered_on=offer if hire.recorded else None,
                started_on=None if hire.recorded else hire.started,
            )
        if hire.recorded:
            with time_machine.travel(at(hire.recorded), tick=False):
                placement.started_on = hire.started
                placement.save()
        if hire.outcome:
            with time_machine.travel(at(max(OUTCOME_DAY, hire.started)), tick=False):
                OutcomeFactory(placement=placement, code=hire.outcome, on=max(OUTCOME_DAY, hire.started))


def foi_pack(tmp_path, day: datetime.date, *options: str):
    """Run the foi_pack command on `day`, as an FOI officer would, and return the workbook's path."""
    path = tmp_path / f"pack-{len(list(tmp_path.glob('*.xlsx')))}.xlsx"
    with time_machine.travel(at(day), tick=False):
        call_command("foi_pack", "--out", str(path), *options, stdout=io.StringIO())
    return path


# -- the requester's reading of a workbook ------------------------------------------------------------------


@dataclass
class ReadTable:
    dimensions: tuple[str, ...]
    all_years: bool
    cells: dict  # (row label, column heading) -> int, or None where "[c]"
    columns: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)


@dataclass
class ReadPack:
    scheme: str | None
    organisation: str | None
    basis: str
    first: int | None
    last: int | None
    produced: datetime.date
    tables: list[ReadTable]


TITLE_DIMENSIONS = {
    "Hires by year": ("year",),
    "Hires by year and location": ("year", "location"),
    "Hires by year and grade": ("year", "grade"),
    "Hires by location and grade": ("location", "grade"),
    "Hires by year and latest outcome": ("year", "outcome"),
}


def read_pack(path) -> ReadPack:
    workbook = load_workbook(path)
    cover = {row[0]: row[1] for row in workbook["Cover"].iter_rows(min_row=2, values_only=True) if row[0]}
    covers = cover["What this covers"]
    scheme = re.search(r"Scheme: ([^;]+)", covers).group(1)
    organisation = re.search(r"Organisation: ([^;]+)", covers).group(1)
    basis = "financial" if "financial years" in covers else "calendar"
    years = re.search(r"Years: (\d{4})\S* to (\d{4}|the latest)", covers)
    first = int(years.group(1)) if years else None
    last = int(years.group(2)) if years and years.group(2).isdigit() else None
    tables = []
    for name in workbook.sheetnames[3:]:
        sheet = workbook[name]
        title = sheet["A1"].value.rsplit(" (Table", 1)[0]
        (excel_table,) = sheet.tables.values()
        top_left, bottom_right = excel_table.ref.split(":")
        header, last_row = int(top_left[1:]), int(re.sub(r"\D", "", bottom_right))
        headings = [cell.value for cell in sheet[header]]
        cells, rows = {}, []
        for row in sheet.iter_rows(min_row=header + 1, max_row=last_row, values_only=True):
            rows.append(row[0])
            for heading, value in zip(headings[1:], row[1:], strict=True):
                cells[(row[0], heading)] = None if value == "[c]" else value
        dims = TITLE_DIMENSIONS[title.split(",")[0]]
        tables.append(ReadTable(dims, "all years" in title, cells, headings[1:], rows))
    produced = datetime.datetime.strptime(cover["Date produced"], "%d %B %Y").date()
    return ReadPack(
        None if scheme == "all schemes" else scheme,
        None if organisation == "all organisations" else organisation,
        basis,
        first,
        last,
        produced,
        tables,
    )


# -- the attacker ----------------------------------------------------------------------------------------


def year_span(label: str, basis: str) -> tuple[datetime.date, datetime.date]:
    """The start dates a year label covers: [first day, day after the last)."""
    year = int(label[:4])
    if basis == "financial":
        return D(year, 4, 1), D(year + 1, 4, 1)
    return D(year, 1, 1), D(year + 1, 1, 1)


class Attacker:
    """Everything the packs show, as linear equations over atoms, and what linear programming then pins."""

    def __init__(self, packs: list[ReadPack], units: dict[str, set[str]], world: list[Hire], late: bool = False):
        """`late`: some start dates were entered after the day they fell on, so the attacker also tells hires
        apart by which pack first counted them (otherwise every hire is recorded on its start date)."""
        self.packs, self.units, self.world = packs, units, world
        self.entries = list(range(len(packs) + 1)) if late else [0]
        cuts = {D(year, month, 1) for year in range(FIRST_YEAR, 2028) for month in (1, 4)}
        cuts |= {pack.produced + datetime.timedelta(days=1) for pack in packs}
        self.cuts = sorted(cuts)
        labels = {dim: set() for dim in ("location", "grade", "outcome")}
        for pack in packs:
            for table in pack.tables:
                for position, dim in enumerate(table.dimensions):
                    if dim in labels:
                        found = table.columns if position == 1 else table.rows
                        labels[dim] |= {label for label in found if label != "Total"}
        self.organisations = sorted(set().union(*units.values()))
        self.schemes = sorted({hire.scheme for hire in world} | {p.scheme for p in packs if p.scheme})
        self.labels = {dim: sorted(found) for dim, found in labels.items()}
        self.atoms = list(
            itertools.product(
                self.organisations,
                self.schemes,
                range(len(self.cuts) - 1),
                self.labels["location"],
                self.labels["grade"],
                self.labels["outcome"],
                self.entries,
            )
        )
        columns = list(zip(*self.atoms, strict=True))
        self.atom_entry = np.array(columns[6])
        self.atom_organisation, self.atom_scheme = np.array(columns[0]), np.array(columns[1])
        self.atom_start = np.array([self.cuts[i] for i in columns[2]])
        self.atom_end = np.array([self.cuts[i + 1] for i in columns[2]])
        self.atom_location, self.atom_grade = np.array(columns[3]), np.array(columns[4])
        self.atom_outcome = np.array(columns[5])
        self.truth = np.zeros(len(self.atoms))
        index = {atom: i for i, atom in enumerate(self.atoms)}
        for hire in world:
            period = max(i for i, cut in enumerate(self.cuts) if cut <= hire.started)
            outcome = "Still in post" if hire.outcome else "No outcome recorded"
            entry = sum(pack.produced < hire.entered for pack in packs) if late else 0
            atom = (hire.organisation, hire.scheme, period, hire.location, hire.grade, outcome, entry)
            if atom in index:  # else in no pack's scope: no pack lists its location or grade
                self.truth[index[atom]] += 1
        self.shown, self.hidden = [], []
        for position, pack in enumerate(packs):
            self.position = position
            self._read(pack)

    def _scope(self, pack: ReadPack, start: datetime.date, end: datetime.date) -> np.ndarray:
        organisations = self.units[pack.organisation] if pack.organisation else set(self.organisations)
        mask = np.isin(self.atom_organisation, sorted(organisations)) & (self.atom_entry <= self.position)
        if pack.scheme:
            mask &= self.atom_scheme == pack.scheme
        return mask & (self.atom_start >= start) & (self.atom_end <= min(end, pack.produced + datetime.timedelta(1)))

    def _read(self, pack: ReadPack) -> None:
        everything = (D(FIRST_YEAR, 1, 1), D(2030, 1, 1))
        asked = everything
        if pack.first is not None:
            last = year_span(str(pack.last), pack.basis)[1] if pack.last else everything[1]
            asked = (year_span(str(pack.first), pack.basis)[0], last)
        for table in pack.tables:
            coverage = everything if table.all_years else asked
            for (row, column), value in table.cells.items():
                fixed = {}
                if len(table.dimensions) == 1:
                    fixed[table.dimensions[0]] = row
                else:
                    fixed[table.dimensions[0]], fixed[table.dimensions[1]] = row, column
                span = year_span(fixed["year"], pack.basis) if fixed.get("year", "Total") != "Total" else coverage
                mask = self._scope(pack, *span)
                for dim in ("location", "grade", "outcome"):
                    if fixed.get(dim, "Total") != "Total":
                        mask = mask & (getattr(self, f"atom_{dim}") == fixed[dim])
                (self.hidden if value is None else self.shown).append((mask, value, fixed, table.dimensions))
            # A table lists every category with hires: the others have none (and so do years it does not list,
            # over all years).
            in_scope = self._scope(pack, *coverage)
            for position, dim in enumerate(table.dimensions):
                listed = (table.columns if position == 1 else table.rows)[:-1]
                if dim == "year":
                    inside = np.zeros(len(self.atoms), dtype=bool)
                    for label in listed:
                        inside |= self._scope(pack, *year_span(label, pack.basis))
                    self.shown.append((in_scope & ~inside, 0, {}, ()))
                else:
                    unlisted = ~np.isin(getattr(self, f"atom_{dim}"), listed)
                    self.shown.append((in_scope & unlisted, 0, {}, ()))

    def _programme(self):
        rows = [(mask, value) for mask, value, *_ in self.shown if mask.any()]
        zero = np.zeros(len(self.atoms), dtype=bool)
        for mask, value in rows:
            if value == 0:
                zero |= mask
        self.free = np.flatnonzero(~zero)
        equations = {}
        for mask, value in rows:
            if value != 0:
                equations[mask[self.free].tobytes()] = (mask[self.free], value)
        matrix = np.array([mask for mask, _ in equations.values()], dtype=float).reshape(-1, len(self.free))
        return csr_matrix(matrix), np.array([value for _, value in equations.values()], dtype=float)

    def counts_nobody_published(self) -> list[tuple[np.ndarray, str]]:
        """What two cells with the same location, grade and outcome count in common and apart, and the year x
        location x grade counts of each pack's scope, that are 1 to 4."""
        published = {mask.tobytes() for mask, *_ in self.shown} | {mask.tobytes() for mask, *_ in self.hidden}
        keyed = {}
        for mask, _, fixed, dimensions in [*self.shown, *self.hidden]:
            if dimensions:
                key = tuple(fixed.get(dim, "Total") for dim in ("location", "grade", "outcome"))
                keyed.setdefault(key, []).append(mask)
        found = {}
        for masks in keyed.values():
            unique = list({mask.tobytes(): mask for mask in masks}.values())
            for first, second in itertools.combinations(unique, 2):
                for part in (first & second, first & ~second, second & ~first):
                    truth = self.truth[part].sum()
                    if 1 <= truth < THRESHOLD and part.tobytes() not in published:
                        found[part.tobytes()] = (part, f"{truth:.0f} hires counted by two cells apart")
        for pack in self.packs:
            for table in pack.tables:
                if table.dimensions != ("year",):
                    continue
                for label in table.rows[:-1]:
                    year = self._scope(pack, *year_span(label, pack.basis))
                    for location, grade in itertools.product(self.labels["location"], self.labels["grade"]):
                        part = year & (self.atom_location == location) & (self.atom_grade == grade)
                        truth = self.truth[part].sum()
                        if 1 <= truth < THRESHOLD and part.tobytes() not in published:
                            found[part.tobytes()] = (part, f"{label} x {location} x {grade}: {truth:.0f}")
        return list(found.values())

    def recovered(self) -> list[str]:
        """Every hidden count of one or more pinned (or a small one known to be 1 to 4), and every small count
        nobody published that is pinned or known to be small, with its true value."""
        matrix, values = self._programme()
        assert np.allclose(matrix @ self.truth[self.free], values), "the attacker's equations must hold"
        found = []
        # A hidden zero counts nobody (a unit's cell under its parent's 0 is 0): the counts it helps hide are checked.
        targets = [(mask, f"hidden {fixed}") for mask, _, fixed, _ in self.hidden if self.truth[mask].sum()]
        targets += self.counts_nobody_published()
        seen = set()
        for mask, words in targets:
            if mask.tobytes() in seen or not mask.any():
                continue
            seen.add(mask.tobytes())
            objective = mask[self.free].astype(float)
            truth = self.truth[mask].sum()
            least = linprog(objective, A_eq=matrix, b_eq=values, bounds=(0, None), method="highs")
            assert least.status == 0, least.message
            if least.fun < 1 - 1e-6 and truth >= 1:
                continue  # it could be 0 but is not: neither pinned nor known to be small
            most = linprog(-objective, A_eq=matrix, b_eq=values, bounds=(0, None), method="highs")
            greatest = np.inf if most.status == 3 else -most.fun
            if greatest - least.fun < 1 - 1e-6:
                found.append(f"{words}: pinned at {truth:.0f}")
            elif 0 < truth < THRESHOLD and least.fun > 1e-6 and greatest < THRESHOLD - 1e-6:
                found.append(f"{words}: known to be {least.fun:.1f} to {greatest:.1f}")
        return found


def tables_read_from_family(family, first, last, produced) -> ReadPack:
    """What a pack protected on its own showed, the old way (a family for its range): read as the attacker
    reads a workbook."""
    tables = []
    for table in family.tables:
        rows = [*table.categories[table.dimensions[0]], "Total"]
        columns = [*table.categories[table.dimensions[1]], "Total"] if len(table.dimensions) > 1 else ["Number"]
        cells = {}
        for key, value in table.shown.items():
            label = tuple("Total" if part is None else part for part in key)
            cells[(label[0], label[1] if len(label) > 1 else "Number")] = value
        tables.append(ReadTable(table.dimensions, False, cells, columns, rows))
    scope = family.scope
    return ReadPack(scope.scheme, scope.organisation, scope.year_basis, first, last, produced, tables)


# -- the worlds ------------------------------------------------------------------------------------------


@pytest.fixture
def southend(world):
    LocationFactory(name="Southend-on-Sea", region="east")
    return world


HMRC_CLIS = {  # (year, month, location, grade): hires, small numbers as at HMRC
    (2014, 3, "Newport", "AO"): 5,
    (2015, 5, "Southend-on-Sea", "AO"): 6,
    (2016, 6, "Leeds", "AO"): 3,
    (2017, 2, "Newport", "HEO"): 7,
    (2019, 7, "Leeds", "EO"): 3,
    (2020, 5, "Southend-on-Sea", "AO"): 5,
    (2021, 9, "Newport", "AO"): 6,
    (2022, 10, "Southend-on-Sea", "EO"): 2,
    (2023, 1, "Newport", "EO"): 8,
    (2024, 2, "Newport", "AO"): 4,
    (2025, 3, "Leeds", "EO"): 1,
    (2025, 6, "Southend-on-Sea", "EO"): 1,
    (2025, 8, "Newport", "HEO"): 2,
}
HMRC_UNITS = {"HMRC": {"HMRC"}}


def test_two_ranged_packs_protected_one_by_one_would_give_hidden_counts_away(southend):
    """The issue's finding, reproduced the old way (each range its own family, protected on its own): the
    total over 2014-2025 less the total over 2014-2024 gives 2025's hidden total, and more."""
    world = hires("HMRC", "CLIS", HMRC_CLIS)
    make(world)
    with time_machine.travel(at(D(2026, 1, 20)), tick=False):
        packs = [
            tables_read_from_family(
                published_family(Scope(scheme="CLIS", organisation="HMRC", first_year=2014, last_year=last)),
                2014,
                last,
                D(2026, 1, 20),
            )
            for last in (2025, 2024)
        ]
    recovered = Attacker(packs, HMRC_UNITS, world).recovered()
    hires_in_2025 = sum(hire.started.year == 2025 for hire in world)
    assert f"hidden {{'year': '2025'}}: pinned at {hires_in_2025}" in recovered


@pytest.mark.parametrize(
    "ranges", [((2014, 2025), (2014, 2024)), ((2014, 2024), (2014, 2025)), ((2016, 2025), (2014, 2023))]
)
def test_two_ranged_packs_of_the_same_scope_read_together_recover_nothing(southend, tmp_path, ranges):
    world = hires("HMRC", "CLIS", HMRC_CLIS)
    make(world)
    day = D(2026, 1, 20)
    paths = [
        foi_pack(tmp_path, day, "--scheme", "CLIS", "--organisation", "HMRC", "--from", str(a), "--to", str(b))
        for a, b in ranges
    ]
    packs = [read_pack(path) for path in paths]
    assert Attacker(packs, HMRC_UNITS, world).recovered() == []
    # Location by grade over part of the years would be a difference away from the table over all years.
    assert [pack.tables[3].all_years for pack in packs] == [(first, last) != (2014, 2025) for first, last in ranges]


def test_packs_a_year_apart_read_together_recover_nothing_and_say_what_they_were_checked_against(southend, tmp_path):
    """An ordinary request for 2014-2024 in February 2025, another for 2014-2025 in January 2026, with 2025's
    hires recorded in between."""
    world = hires("HMRC", "CLIS", HMRC_CLIS)
    make([hire for hire in world if hire.started.year < 2025])
    first = foi_pack(
        tmp_path, D(2025, 2, 10), "--scheme", "CLIS", "--organisation", "HMRC", "--from", "2014", "--to", "2024"
    )
    make([hire for hire in world if hire.started.year == 2025])
    second = foi_pack(
        tmp_path, D(2026, 1, 20), "--scheme", "CLIS", "--organisation", "HMRC", "--from", "2014", "--to", "2025"
    )
    assert Attacker([read_pack(first), read_pack(second)], HMRC_UNITS, world).recovered() == []
    earlier, later = Release.objects.order_by("released_at")
    assert list(later.checked_against.all()) == [earlier]
    notes = {subject: text for _, subject, text in notes_table(load_workbook(second))}
    assert "checked together with the 1 earlier release" in notes["Earlier releases"]


ONS_UNITS = {"ONS": {"ONS", "DSC"}, "DSC": {"DSC"}}
ONS_GFIE = {  # ONS's own hires; the Data Science Campus (a unit of ONS) has its own below
    (2021, 6, "Newport", "AO"): 6,
    (2022, 2, "Newport", "EO"): 2,
    (2022, 9, "Newport", "AO"): 6,
    (2022, 9, "Titchfield", "EO"): 2,
    (2023, 5, "Titchfield", "AO"): 7,
    (2024, 3, "Newport", "HEO"): 3,
}
DSC_GFIE = {
    (2021, 7, "Newport", "AO"): 5,
    (2022, 9, "Titchfield", "EO"): 6,
    (2023, 11, "Newport", "EO"): 1,
    (2024, 5, "Titchfield", "AO"): 8,
}
ONS_CLIS = {(2021, 6, "Newport", "AO"): 1, (2022, 10, "Titchfield", "EO"): 2, (2023, 5, "Newport", "AO"): 6}


@pytest.fixture
def ons_world(world):
    OrganisationFactory(code="DSC", name="ONS Data Science Campus", kind="unit", parent=world.ons)
    made = hires("ONS", "GFiE", ONS_GFIE) + hires("DSC", "GFiE", DSC_GFIE) + hires("ONS", "CLIS", ONS_CLIS)
    make(made)
    return made


PAIRS = {
    "a unit beside its parent": (["--organisation", "DSC"], ["--organisation", "ONS"]),
    "a scheme beside all schemes": (["--organisation", "ONS", "--scheme", "GFiE"], ["--organisation", "ONS"]),
    "calendar beside financial years": (
        ["--organisation", "ONS", "--scheme", "GFiE"],
        ["--organisation", "ONS", "--scheme", "GFiE", "--year-basis", "financial"],
    ),
}


def old_way(options: list[str], day: datetime.date) -> ReadPack:
    """The pack for these foi_pack options as it was before the register: its own family, protected alone."""
    values = dict(zip(options[::2], options[1::2], strict=True))
    scope = Scope(
        scheme=values.get("--scheme"),
        organisation=values.get("--organisation"),
        year_basis=values.get("--year-basis", "calendar"),
    )
    with time_machine.travel(at(day), tick=False):
        return tables_read_from_family(published_family(scope), None, None, day)


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_nested_scopes_protected_one_by_one_would_give_counts_away(ons_world, pair):
    day = D(2025, 3, 3)
    assert Attacker([old_way(options, day) for options in pair], ONS_UNITS, ons_world).recovered()


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
@pytest.mark.parametrize("order", ["as listed", "the other way round"])
def test_nested_scopes_read_together_recover_nothing(ons_world, tmp_path, pair, order):
    first, second = pair if order == "as listed" else pair[::-1]
    packs = [
        read_pack(foi_pack(tmp_path, D(2025, 3, 3), *first)),
        read_pack(foi_pack(tmp_path, D(2025, 3, 4), *second)),
    ]
    assert Attacker(packs, ONS_UNITS, ons_world).recovered() == []


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_officer_answers_for_a_unit_beside_its_parent_and_sees_what_each_pack_was_checked_against(
    ons_world, client, media_in_tmp, tmp_path
):
    """Two requests logged on the FOI pages, one for the Data Science Campus and one for the whole of ONS; the
    packs are generated and downloaded there; read together they recover nothing, and the second request's page
    says, in words, which pack it was checked against and why more of its cells are hidden."""
    client.force_login(Organisation.objects.get(code="ONS").memberships.get(role="foi").user)
    packs = []
    for reference, organisation in (("FOI-2025-0001", "DSC"), ("FOI-2025-0002", "ONS")):
        with time_machine.travel(at(D(2025, 3, 3)), tick=False):
            response = client.post(
                "/foi/new/",
                {
                    "reference": reference,
                    "received_on": "03/03/2025",
                    "questions": "How many care leavers did you hire, by year, site and grade?",
                    "organisation": Organisation.objects.get(code=organisation).pk,
                    "scheme": "",
                    "year_basis": "calendar",
                },
            )
            assert response.status_code == 302, response.content.decode()
            foi_request = FoiRequest.objects.get(reference=reference)
            assert client.post(f"/foi/{foi_request.pk}/pack/").status_code == 302
            download = client.get(f"/foi/{foi_request.pk}/pack/download/")
            path = tmp_path / f"{reference}.xlsx"
            path.write_bytes(b"".join(download.streaming_content))
            packs.append(read_pack(path))
    assert Attacker(packs, ONS_UNITS, ons_world).recovered() == []

    second = FoiRequest.objects.get(reference="FOI-2025-0002")
    page = client.get(f"/foi/{second.pk}/").content.decode()
    assert "checked together with every earlier release" in page
    assert "the pack for FOI-2025-0001 (all schemes, DSC, all years, calendar years) of 3 March 2025" in page
    release = second.releases.get()
    if release.audit["extra_hidden"]:
        assert "hidden because of earlier releases" in page
        assert release.audit["extra_hidden"][0]["reason"].replace("'", "&#x27;") in page
    first_page = client.get(f"/foi/{FoiRequest.objects.get(reference='FOI-2025-0001').pk}/").content.decode()
    assert "checked on its own" in first_page


MONTHLY_BASE = {  # ONS's GFiE hires before the run of packs
    (2022, 5, "Newport", "AO"): 6,
    (2022, 9, "Titchfield", "EO"): 3,
    (2023, 3, "Newport", "EO"): 7,
    (2023, 10, "Titchfield", "AO"): 5,
    (2024, 6, "Newport", "AO"): 2,
    (2024, 8, "Titchfield", "EO"): 6,
}
MONTHLY_NEW = {  # hires started (and recorded) in each month of 2025, between one month's pack and the next
    (2025, 1, "Newport", "AO"): 2,
    (2025, 2, "Titchfield", "EO"): 1,
    (2025, 4, "Newport", "EO"): 3,
    (2025, 5, "Newport", "AO"): 1,
    (2025, 6, "Titchfield", "AO"): 6,
    (2025, 7, "Newport", "EO"): 2,
    (2025, 8, "Titchfield", "AO"): 1,
    (2025, 10, "Newport", "AO"): 4,
}
PACK_DAYS = [D(2025, month, 1) for month in range(2, 12)]  # the first of each month, February to November


@pytest.fixture
def monthly_world(world):
    made = hires("ONS", "GFiE", MONTHLY_BASE) + hires("ONS", "GFiE", MONTHLY_NEW)
    make(made)
    return made


def test_monthly_packs_protected_one_by_one_would_give_each_months_hires_away(monthly_world):
    packs = []
    for day in PACK_DAYS:
        with time_machine.travel(at(day), tick=False):
            packs.append(
                tables_read_from_family(published_family(Scope(scheme="GFiE", organisation="ONS")), None, None, day)
            )
    recovered = Attacker(packs, ONS_UNITS, monthly_world).recovered()
    assert any("counted by two cells apart" in found for found in recovered), recovered


def test_a_long_run_of_monthly_packs_read_together_recovers_nothing(monthly_world, tmp_path):
    """An FOI officer answers "all years" for ONS's GFiE hires on the first of every month while new hires are
    recorded: each pack is audited with all before it, and all ten read together recover nothing, not even a
    month's hires."""
    paths = [foi_pack(tmp_path, day, "--scheme", "GFiE", "--organisation", "ONS") for day in PACK_DAYS]
    packs = [read_pack(path) for path in paths]
    assert Attacker(packs, ONS_UNITS, monthly_world).recovered() == []
    last = Release.objects.order_by("released_at").last()
    assert last.checked_against.count() == len(PACK_DAYS) - 1
    assert any(table.cells[("Total", "Number of hires")] is not None for pack in packs for table in pack.tables[:1])


API_SHAPES = {("year",): "year", ("year", "location"): "year,location", ("year", "grade"): "year,grade"}
API_SHAPES |= {("location", "grade"): "location,grade"}


def api_answers_read(client, scope: dict, day: datetime.date) -> ReadPack:
    """Every table a statistics client can ask for a scope, read from the API's JSON as the attacker reads a
    workbook (cells and the total; a 2-way answer has no margins, those are the 1-way answers)."""
    tables = []
    with time_machine.travel(at(day), tick=False):
        for dimensions, by in [*API_SHAPES.items(), (("year", "outcome"), "year")]:
            endpoint = "outcomes" if "outcome" in dimensions else "hires"
            body = client.get(f"/api/v1/stats/{endpoint}/", {"by": by, **scope}).json()
            cells, rows, columns = {}, [], []
            for row in body["rows"]:
                first = row[dimensions[0]]
                second = row[dimensions[1]] if len(dimensions) > 1 else "Number"
                cells[(first, second)] = row["count"]
                rows += [first] if first not in rows else []
                columns += [second] if second not in columns else []
            cells[("Total", "Total" if len(dimensions) > 1 else "Number")] = body["total"]["count"]
            tables.append(ReadTable(dimensions, False, cells, [*columns, "Total"], [*rows, "Total"]))
    return ReadPack(scope["scheme"], scope["organisation"], "calendar", None, None, day, tables)


def test_statistics_answers_are_releases_and_a_later_pack_read_with_them_recovers_nothing(ons_world, world, tmp_path):
    """A statistics client is given everything for ONS's GFiE hires; later an FOI officer answers for the Data
    Science Campus (a unit of ONS, which the API does not publish on its own): the pack is audited with the
    client's answers, and the answers and the pack read together recover nothing."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(world.ons_api)}")
    answers = api_answers_read(client, {"scheme": "GFiE", "organisation": "ONS"}, D(2025, 3, 3))
    (answered,) = Release.objects.filter(kind="api")  # one release for every answer from the same family
    assert answered.released_by == world.ons_api
    pack = read_pack(foi_pack(tmp_path, D(2025, 3, 4), "--scheme", "GFiE", "--organisation", "DSC"))
    assert list(Release.objects.get(kind="pack").checked_against.all()) == [answered]
    assert Attacker([answers, pack], ONS_UNITS, ons_world).recovered() == []


def test_superusers_read_the_register_in_the_admin_and_nobody_changes_it(ons_world, world, tmp_path, client):
    foi_pack(tmp_path, D(2025, 3, 3), "--organisation", "ONS", "--request", "FOI-2025-0003")
    release = Release.objects.get()
    client.force_login(world.superuser)
    listing = client.get("/admin/reporting/release/").content.decode()
    assert "the pack for FOI-2025-0003 (all schemes, ONS, all years, calendar years) of 3 March 2025" in listing
    page = client.get(f"/admin/reporting/release/{release.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/reporting/release/{release.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Release.objects.filter(pk=release.pk).exists()
    client.force_login(world.ons_foi)  # staff, and an FOI officer: sees releases on the FOI pages only
    assert client.get("/admin/reporting/release/").status_code == 403


LATE = [  # ONS's GFiE hires in early 2025, two of them with the start date entered weeks after the day
    Hire("ONS", "GFiE", D(2025, 2, 10), "Newport", "AO"),
    Hire("ONS", "GFiE", D(2025, 2, 11), "Newport", "AO"),
    Hire("ONS", "GFiE", D(2025, 2, 20), "Titchfield", "EO", recorded=D(2025, 3, 10)),
    Hire("ONS", "GFiE", D(2025, 3, 15), "Newport", "EO"),
    Hire("ONS", "GFiE", D(2025, 3, 16), "Newport", "AO"),
    Hire("ONS", "GFiE", D(2025, 3, 17), "Titchfield", "AO"),
    Hire("ONS", "GFiE", D(2025, 4, 2), "Titchfield", "EO", recorded=D(2025, 4, 25)),
]


def packs_before(packs: list[ReadPack], day: datetime.date) -> int:
    return sum(pack.produced < day for pack in packs)


def test_start_dates_recorded_late_count_from_when_they_were_recorded(world, tmp_path):
    """A start date entered after the next pack was made: that pack did not count the hire, the one after does;
    the register tells them apart by the record's history, so nothing looks changed and nothing leaks."""
    made = hires("ONS", "GFiE", MONTHLY_BASE) + LATE
    packs = []
    for day in (D(2025, 3, 1), D(2025, 4, 1), D(2025, 5, 1)):  # each pack sees what was recorded before it
        make([hire for hire in made if packs_before(packs, hire.entered) == len(packs) and hire.entered < day])
        packs.append(read_pack(foi_pack(tmp_path, day, "--scheme", "GFiE", "--organisation", "ONS")))
    assert Attacker(packs, ONS_UNITS, made, late=True).recovered() == []
    assert all(release.audit["changed_cells"] == {} for release in Release.objects.all())


def ons_gfie_hires_by_year(world):
    """ONS's GFiE hires of 2022-2024 (5, 6 and 7), and a maker of releases of its "Hires by year" table."""
    make(
        hires(
            "ONS", "GFiE", {(2022, 5, "Newport", "AO"): 5, (2023, 5, "Newport", "AO"): 6, (2024, 5, "Newport", "AO"): 7}
        )
    )
    ons = Organisation.objects.tree().descendant_ids([world.ons.pk])
    gfie = Scheme.objects.get(code="GFiE").pk

    def read(label, day, years, shown):
        table = RegisterTable(
            "Hires by year", ("year",), {"year": tuple(key[0] for key in shown if key[0])}, shown, years
        )
        return ReleaseRead(label, gfie, frozenset(ons), "calendar", at(day), day, Rule(), (table,))

    return read


def test_a_new_release_that_pins_an_earlier_hidden_count_through_an_earlier_total_has_it_hidden(world):
    """An earlier release showed ONS's GFiE total over 2022-2024 and hid every year; a new one (for 2022-2023)
    would show its total. No cell of the new release counts a hire of 2024, yet with the earlier total it gives
    2024 away: each audit checks every earlier hidden count against all the releases together, not only those
    the new release's cells touch, so it hides the new total and says which release hid what it would give."""
    read = ons_gfie_hires_by_year(world)
    every_year = {("2022",): None, ("2023",): None, ("2024",): None, (None,): 18}
    earlier = read("the earlier pack", D(2025, 3, 1), (2022, 2024), every_year)
    new = read("this release", D(2025, 3, 2), (2022, 2023), {("2022",): None, ("2023",): None, (None,): 11})
    with time_machine.travel(at(D(2025, 3, 2)), tick=False):
        result = JointAudit(new, [earlier]).run()
    assert result.hidden == {0: frozenset({(None,)})}
    assert [extra.reason for extra in result.extra] == [
        "Hidden because the earlier pack hid Hires by year: 2024: showing it would let that be worked out exactly."
    ]


def test_a_count_given_away_only_with_a_release_older_than_the_latest_few_is_still_hidden(world, monkeypatch):
    """The cells to hide are chosen against the latest earlier releases first (decision 0088); what an older
    release would give away with the new one is found by the audit with every release that follows. Here the
    release read first (the latest, a pack for 2022 that showed nothing) gives nothing away with the new one,
    and the older pack that hid 2024 does: the new total is hidden, and the reason names that pack."""
    monkeypatch.setattr(releases, "NEAREST_RELEASES", 1)
    read = ons_gfie_hires_by_year(world)
    older = read(
        "the older pack", D(2025, 3, 1), (2022, 2024), {("2022",): None, ("2023",): None, ("2024",): None, (None,): 18}
    )
    latest = read("the latest pack", D(2025, 3, 2), (2022, 2022), {("2022",): None, (None,): None})
    new = read("this release", D(2025, 3, 3), (2022, 2023), {("2022",): None, ("2023",): None, (None,): 11})
    with time_machine.travel(at(D(2025, 3, 3)), tick=False):
        assert JointAudit(new, [latest]).run().hidden == {}  # the latest alone: nothing to hide
        result = releases.joint_audit(new, [older, latest])
    assert result.hidden == {0: frozenset({(None,)})}
    assert [extra.reason for extra in result.extra] == [
        "Hidden because the older pack hid Hires by year: 2024: showing it would let that be worked out exactly."
    ]
