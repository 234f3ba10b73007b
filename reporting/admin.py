"""Admin for FOI configuration (corrections to the UK holiday calendar), statistics clients' levels and the
release register (read only, superusers only).

FOI requests themselves are managed on the /foi/ pages, which limit each officer to their organisation's
requests; they are deliberately not in the admin, where FOI officers (who are staff) would see them all. An
officer sees their requests' releases on the request's page.
"""

from django.contrib import admin

from schemes.admin import HistoryAdmin

from .models import HolidayOverride, Release, StatisticsLevel


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(HistoryAdmin):
    list_display = ["date", "name", "kind"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(StatisticsLevel)
class StatisticsLevelAdmin(HistoryAdmin):
    """Which scopes each statistics client may ask about (decision 0053); users without one have the default."""

    list_display = ["user", "organisations", "schemes", "year_basis"]
    list_filter = ["organisations", "schemes", "year_basis"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Everything disclosure-controlled that left the product (decision 0071): for superusers to read, never to
    change (a release cannot be taken back, and later releases were audited against it as it is)."""

    list_display = ["released_at", "kind", "describe", "released_by"]
    list_filter = ["kind", "year_basis"]
    search_fields = ["reference", "organisation__code", "scheme__code"]
    date_hierarchy = "released_at"
    list_select_related = ["scheme", "organisation", "released_by"]
    readonly_fields = [field.name for field in Release._meta.fields] + ["checked_against"]

    @admin.display(description="release")
    def describe(self, release: Release) -> str:
        return release.describe()

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
