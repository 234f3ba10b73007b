"""Reference data in the admin: everyone with a role may look, only superusers and the permissions in
`schemes.roles` may change it, and every change is kept in a history (SimpleHistoryAdmin)."""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .admin_import import ReferenceImportMixin
from .choices import Role
from .models import Grade, Location, Membership, Organisation, Scheme, Target

# Foreign keys on records whose organisation choices depend on the user: (app label, model, field) to a function
# of the user giving the organisations offered. Filled in by the app that owns the records (placements/admin.py,
# from its access rule), because schemes never imports placements.
RECORD_ORGANISATION_CHOICES: dict[tuple[str, str, str], Callable[..., QuerySet]] = {}


def _id_or_404(model, value: str) -> None:
    """Refuse an id that cannot be a primary key of `model`: wrong type, or out of the column's range."""
    field = model._meta.pk
    try:
        field.run_validators(field.to_python(unquote(value)))
    except ValidationError as error:
        raise Http404(f"No {model._meta.verbose_name} with that id.") from error


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin for every model with a history in this product: use it instead of the original.

    simple_history's page for one past version saves whatever is POSTed to it after checking only that the
    user may *view* the history, so a reader (a manager; HR on reference data) could change a record by
    posting to /history/<version>/. Here a POST needs the change permission on the current record.

    An id in the URL that cannot be one (`abc`, a number too large for the column) is not found (404), as
    Django's own change page treats it, rather than an error from the history query (500)."""

    def history_view(self, request, object_id, extra_context=None):
        _id_or_404(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _id_or_404(self.model, object_id)
        _id_or_404(self.model.history.model, version_id)
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


def owned_scheme_ids(user) -> set[int]:
    """Schemes owned by an organisation (or a unit under one) where `user` is scheme administrator."""
    organisations = Membership.objects.organisation_ids(user, [Role.SCHEME_ADMIN])
    return set(Scheme.objects.filter(owner_id__in=organisations).values_list("pk", flat=True))


@admin.register(Organisation)
class OrganisationAdmin(ReferenceImportMixin, HistoryAdmin):
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]

    def get_search_results(self, request, queryset, search_term):
        """When the admin autocompletes the organisation of a record, offer only those its form accepts."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        source = (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name"))
        if source in RECORD_ORGANISATION_CHOICES:
            queryset = queryset.filter(pk__in=RECORD_ORGANISATION_CHOICES[source](request.user).values("pk"))
        return queryset, may_have_duplicates


@admin.register(Location)
class LocationAdmin(HistoryAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]


@admin.register(Grade)
class GradeAdmin(HistoryAdmin):
    list_display = ["code", "name", "framework", "rank", "aliases", "organisation", "band"]
    list_filter = ["framework"]
    list_select_related = ["organisation", "band"]
    search_fields = ["code", "name", "aliases"]
    autocomplete_fields = ["organisation", "band"]


@admin.register(Scheme)
class SchemeAdmin(HistoryAdmin):
    list_display = ["code", "name", "kind", "owner", "length_months"]
    list_filter = ["kind"]
    list_select_related = ["owner"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["owner"]

    def has_change_permission(self, request, obj=None):
        """Scheme administrators change only the schemes their organisation owns."""
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or request.user.is_superuser or obj.pk in owned_scheme_ids(request.user)

    def get_readonly_fields(self, request, obj=None):
        # Handing a scheme to another owner is for superusers only.
        return [] if request.user.is_superuser else ["owner"]


@admin.register(Target)
class TargetAdmin(HistoryAdmin):
    # Codes, not names, so the list fits a laptop's screen; reporting/admin.py adds the actual hires.
    list_display = ["organisation_code", "scheme_code", "period", "kind", "number"]
    list_filter = ["kind", "scheme", "period"]
    list_select_related = ["organisation", "scheme"]
    search_fields = ["organisation__code", "organisation__name", "scheme__code", "period"]
    autocomplete_fields = ["organisation", "scheme"]

    def _may_edit(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or obj.scheme_id in owned_scheme_ids(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)

    @admin.display(description="organisation", ordering="organisation__code")
    def organisation_code(self, target):
        return target.organisation.code

    @admin.display(description="scheme", ordering="scheme__code")
    def scheme_code(self, target):
        return target.scheme.code

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "scheme" and not request.user.is_superuser:
            kwargs["queryset"] = Scheme.objects.filter(pk__in=owned_scheme_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    """Who works where in which role; only superusers hold these permissions (or use `create_user`)."""

    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username", "organisation__code", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """The standard user admin with the user's organisations and roles on the same page.

    A role's permissions come from its group (`schemes.roles`); `create_user` sets both at once."""

    inlines = [MembershipInline]
