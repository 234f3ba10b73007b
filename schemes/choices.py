"""Fixed vocabularies for reference data (docs/domain.md, docs/interfaces.md section 1)."""

from django.db import models


class OrganisationKind(models.TextChoices):
    DEPARTMENT = "department", "Government department"
    AGENCY = "agency", "Agency or arm's-length body"
    COUNCIL = "council", "Council"
    EMPLOYER = "employer", "Other employer"
    CHARITY = "charity", "Charity"
    UNIT = "unit", "Directorate, business unit or team"


class Region(models.TextChoices):
    """ITL1 regions of the UK, so breakdowns can go by region as well as by site."""

    NORTH_EAST = "north_east", "North East"
    NORTH_WEST = "north_west", "North West"
    YORKSHIRE = "yorkshire", "Yorkshire and The Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST = "east", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class GradeFramework(models.TextChoices):
    CIVIL_SERVICE = "civil_service", "Civil Service grade"
    APPRENTICESHIP = "apprenticeship", "Apprenticeship level"
    LOCAL = "local", "Organisation's own pay scale"


class SchemeKind(models.TextChoices):
    INTERNSHIP = "internship", "Internship"
    APPRENTICESHIP = "apprenticeship", "Apprenticeship"
    TRAINEESHIP = "traineeship", "Traineeship"
    WORK_EXPERIENCE = "work_experience", "Work experience"
    SESSIONAL = "sessional", "Sessional work"
    OTHER = "other", "Other"


class TargetKind(models.TextChoices):
    PLEDGE = "pledge", "Pledge"
    TARGET = "target", "Target"
    GUARANTEED_INTERVIEWS = "guaranteed_interviews", "Guaranteed interviews"


class Role(models.TextChoices):
    """What a member of staff may do for an organisation (docs/interfaces.md section 4)."""

    HR = "hr", "HR (enters and imports records)"
    MANAGER = "manager", "Manager (dashboards)"
    FOI = "foi", "FOI officer (register and packs)"
    API = "api", "API client (statistics only)"
    SCHEME_ADMIN = "scheme_admin", "Scheme administrator (schemes the organisation owns)"
