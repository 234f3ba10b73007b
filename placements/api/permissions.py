"""Who may use the records endpoints, and change which records.

*Which* records a user sees is `for_user` (so another organisation's record is a 404, never a 403);
*what* they may do is the role's model permissions (schemes/roles.py): an `api` or `foi` user holds no
record permission at all and gets 403 on every records endpoint, a manager may read but not write.
"""

from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions

from placements.models import EDITOR_ROLES, Candidate, Outcome, Placement
from schemes.models import Membership

VIEW = ["%(app_label)s.view_%(model_name)s"]


class RecordPermissions(DjangoModelPermissions):
    """Reading needs the view permission too (DRF's default lets anyone with a login read)."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": VIEW, "HEAD": VIEW, "OPTIONS": VIEW}

    def _queryset(self, view):
        """Only the model matters here; building the user's scoped queryset twice costs queries."""
        return view.serializer_class.Meta.model.objects.none()

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return editable(request.user, obj)


def editable(user, obj) -> bool:
    """Whether `user` may change or delete this record: the same rule as the admin's `editable_by`."""
    if user.is_superuser:
        return True
    if isinstance(obj, Placement):
        return Placement.objects.editable_by(user).filter(pk=obj.pk).exists()
    if isinstance(obj, Outcome):
        return Placement.objects.editable_by(user).filter(pk=obj.placement_id).exists()
    if isinstance(obj, Candidate):
        return obj.organisation_id in Membership.objects.organisation_ids(user, EDITOR_ROLES)
    return False
