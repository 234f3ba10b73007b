"""What each role may do, as Django groups of model permissions.

A role's group is what the admin, the API and the pages check for *actions*; *which records* a user
sees and changes is decided separately, from the user's memberships, by the records' access rule
(placements/access.py). Permissions are named as "app_label.codename" strings so this module needs no
imports from the apps that define them.
"""

from django.contrib.auth.models import Group, Permission

from .choices import Role

REFERENCE_VIEW = [f"schemes.view_{model}" for model in ("organisation", "location", "grade", "scheme", "target")]
RECORDS_EDIT = [
    f"placements.{action}_{model}"
    for model in ("candidate", "placement", "outcome")
    for action in ("view", "add", "change", "delete")
]
RECORDS_VIEW = [f"placements.view_{model}" for model in ("candidate", "placement", "outcome")]
FOI_REGISTER = [f"reporting.{action}_foirequest" for action in ("view", "add", "change")]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.HR: REFERENCE_VIEW + RECORDS_EDIT,
    Role.MANAGER: REFERENCE_VIEW + RECORDS_VIEW,
    Role.FOI: REFERENCE_VIEW + FOI_REGISTER,
    Role.API: [],
    Role.SCHEME_ADMIN: REFERENCE_VIEW
    + RECORDS_EDIT
    + [f"schemes.{action}_target" for action in ("add", "change", "delete")]
    + ["schemes.change_scheme"],
}

# Roles whose holders sign in to the staff pages and the admin; `api` users only use tokens.
STAFF_ROLES = {Role.HR, Role.MANAGER, Role.FOI, Role.SCHEME_ADMIN}


def group_name(role: str) -> str:
    return f"Role: {Role(role).label.split(' (')[0]}"


def sync_role_groups(**kwargs) -> None:
    """Create or update one group per role with exactly its permissions (run after every migrate)."""
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(
            content_type__app_label__in={"schemes", "placements", "reporting"}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set([by_name[name] for name in names if name in by_name])
