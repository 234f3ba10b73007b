"""Seed the reference data the product ships with (docs/domain.md): Civil Service grades and apprenticeship
levels, the CLIS and GFiE schemes, the main government departments and well-known sites.

Administrators keep it up to date afterwards (admin or `import_reference`), so this only adds rows that
are missing and never overwrites an edit.
"""

from django.db import migrations

DEPARTMENTS = [
    ("CO", "Cabinet Office", "department"),
    ("DFE", "Department for Education", "department"),
    ("DWP", "Department for Work and Pensions", "department"),
    ("HMRC", "HM Revenue and Customs", "department"),
    ("ONS", "Office for National Statistics", "department"),
    ("HMT", "HM Treasury", "department"),
    ("HO", "Home Office", "department"),
    ("MOJ", "Ministry of Justice", "department"),
    ("MOD", "Ministry of Defence", "department"),
    ("DHSC", "Department of Health and Social Care", "department"),
    ("DFT", "Department for Transport", "department"),
    ("DBT", "Department for Business and Trade", "department"),
    ("DESNZ", "Department for Energy Security and Net Zero", "department"),
    ("DSIT", "Department for Science, Innovation and Technology", "department"),
    ("DCMS", "Department for Culture, Media and Sport", "department"),
    ("DEFRA", "Department for Environment, Food and Rural Affairs", "department"),
    ("MHCLG", "Ministry of Housing, Communities and Local Government", "department"),
    ("FCDO", "Foreign, Commonwealth and Development Office", "department"),
    ("CSC", "Civil Service Commission", "agency"),
]
AGENCIES = [  # (code, name, parent)
    ("HMPPS", "HM Prison and Probation Service", "MOJ"),
    ("DVLA", "Driver and Vehicle Licensing Agency", "DFT"),
    ("IPO", "Intellectual Property Office", "DSIT"),
]
LOCATIONS = [
    ("Newport", "wales"),
    ("Titchfield", "south_east"),
    ("Darlington Economic Campus", "north_east"),
    ("London", "london"),
    ("Sheffield", "yorkshire"),
    ("Leeds", "yorkshire"),
    ("Manchester", "north_west"),
    ("Liverpool", "north_west"),
    ("Birmingham", "west_midlands"),
    ("Nottingham", "east_midlands"),
    ("Derby", "east_midlands"),
    ("Bristol", "south_west"),
    ("Newcastle upon Tyne", "north_east"),
    ("Glasgow", "scotland"),
    ("Edinburgh", "scotland"),
    ("Cardiff", "wales"),
    ("Swansea", "wales"),
    ("Belfast", "northern_ireland"),
    ("Croydon", "london"),
    ("Norwich", "east"),
    ("York", "yorkshire"),
]
GRADES = [  # (code, name, framework, rank, aliases)
    ("AA", "Administrative Assistant", "civil_service", 1, ""),
    ("AO", "Administrative Officer", "civil_service", 2, "EA, Executive Assistant"),
    ("EO", "Executive Officer", "civil_service", 3, "Officer"),
    ("HEO", "Higher Executive Officer", "civil_service", 4, ""),
    ("SEO", "Senior Executive Officer", "civil_service", 5, ""),
    ("G7", "Grade 7", "civil_service", 6, ""),
    ("G6", "Grade 6", "civil_service", 7, ""),
    ("SCS", "Senior Civil Service", "civil_service", 8, "SCS1, SCS2, SCS3, SCS4, SCS Pay Band 1"),
    ("L2", "Level 2 apprenticeship", "apprenticeship", 2, "Level 2, Intermediate apprenticeship"),
    ("L3", "Level 3 apprenticeship", "apprenticeship", 3, "Level 3, Advanced apprenticeship"),
    ("L4", "Level 4 apprenticeship", "apprenticeship", 4, "Level 4, Higher apprenticeship"),
    ("L5", "Level 5 apprenticeship", "apprenticeship", 5, "Level 5"),
    ("L6", "Level 6 apprenticeship", "apprenticeship", 6, "Level 6, Degree apprenticeship"),
    ("L7", "Level 7 apprenticeship", "apprenticeship", 7, "Level 7"),
]
SCHEMES = [  # (code, name, kind, owner, length in months)
    ("CLIS", "Civil Service Care Leavers Internship Scheme", "internship", "DFE", 12),
    ("GFiE", "Going Forward into Employment", "other", "CO", 24),
]


def seed(apps, schema_editor):
    Organisation = apps.get_model("schemes", "Organisation")
    Location = apps.get_model("schemes", "Location")
    Grade = apps.get_model("schemes", "Grade")
    Scheme = apps.get_model("schemes", "Scheme")
    for code, name, kind in DEPARTMENTS:
        Organisation.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    for code, name, parent in AGENCIES:
        Organisation.objects.get_or_create(
            code=code, defaults={"name": name, "kind": "agency", "parent": Organisation.objects.get(code=parent)}
        )
    for name, region in LOCATIONS:
        Location.objects.get_or_create(name=name, defaults={"region": region})
    for code, name, framework, rank, aliases in GRADES:
        Grade.objects.get_or_create(
            code=code, defaults={"name": name, "framework": framework, "rank": rank, "aliases": aliases}
        )
    for code, name, kind, owner, months in SCHEMES:
        Scheme.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "owner": Organisation.objects.get(code=owner), "length_months": months},
        )


class Migration(migrations.Migration):
    dependencies = [("schemes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
