"""Vocabularies for care leavers, placements and outcomes (docs/domain.md)."""

from django.db import models


class LegalStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible child"
    RELEVANT = "relevant", "Relevant child"
    FORMER_RELEVANT = "former_relevant", "Former relevant child"
    OTHER = "other", "Other care experience"


class OutcomeCode(models.TextChoices):
    IN_POST = "in_post", "Still in post"
    EXTENDED = "extended", "Contract extended"
    PERMANENT = "permanent", "Made permanent"
    TRANSFERRED = "transferred", "Transferred to another department"
    COMPLETED_EET = "completed_eet", "Completed – moved into education, employment or training"
    COMPLETED_NOT_EET = "completed_not_eet", "Completed – not in education, employment or training"
    PROBATION_FAILED = "probation_failed", "Did not pass probation"
    LEFT_EARLY = "left_early", "Left early"
    WITHDREW = "withdrew", "Withdrew before start (including clearance not obtained)"
    UNKNOWN = "unknown", "Not known"


# Outcomes that can be recorded against an offer that never started.
OUTCOMES_BEFORE_START = {OutcomeCode.WITHDREW, OutcomeCode.UNKNOWN}


class ActivityCode(models.TextChoices):
    """DfE SSDA903 care-leaver activity codes, for council schemes' destinations."""

    F1 = "F1", "F1 Higher education, full time"
    P1 = "P1", "P1 Higher education, part time"
    F2 = "F2", "F2 Other education, full time"
    P2 = "P2", "P2 Other education, part time"
    F4 = "F4", "F4 Apprenticeship, full time"
    P4 = "P4", "P4 Apprenticeship, part time"
    F5 = "F5", "F5 Training or employment (not apprenticeship), full time"
    P5 = "P5", "P5 Training or employment (not apprenticeship), part time"
    G4 = "G4", "G4 NEET: illness or disability"
    G5 = "G5", "G5 NEET: other reasons"
    G6 = "G6", "G6 NEET: pregnancy or parenting"


class PlacementStatus(models.TextChoices):
    """Where a placement is in the pipeline, derived from its dates and latest outcome."""

    REFERRED = "referred", "Referred"
    APPLIED = "applied", "Applied"
    OFFERED = "offered", "Offered"
    CHECKS = "checks", "Pre-employment checks"
    CLEARED = "cleared", "Cleared, awaiting start"
    STARTED = "started", "In post"
    ENDED = "ended", "Ended"
    WITHDRAWN = "withdrawn", "Withdrew before start"


class ContactMethod(models.TextChoices):
    """How someone got in touch with a candidate waiting to start (or tried to)."""

    PHONE = "phone", "Phone call"
    EMAIL = "email", "Email"
    TEXT = "text", "Text message"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
