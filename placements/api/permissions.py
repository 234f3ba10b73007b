"""Who may use the records endpoints, and change which records.

*Which* records a user sees is `for_user` (so another organisation's record is a 404, never a 403);
*what* they may do is the role's model permissions (schemes/roles.py): an `api` or `foi` user holds no
record permission at all and gets 403 on every records endpoint, a manager may read but not write. Changing or
deleting one record also needs the access rule's CHANGE on it (placements/access.py), as in the admin.
"""

from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions

from placements.access import Action, allows

VIEW = ["%(app_label)s.view_%(model_name)s"]


class RecordPermissions(DjangoModelPermissions):
    """Reading needs the view permission too (DRF's default lets anyone with a login read)."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": VIEW, "HEAD": VIEW, "OPTIONS": VIEW}

    def _queryset(self, view):
        """Only the model matters here; building the user's scoped queryset twice costs queries."""
        return view.serializer_class.Meta.model.objects.none()

    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or allows(request.user, Action.CHANGE, obj)
