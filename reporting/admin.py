"""Admin for FOI configuration (corrections to the UK holiday calendar), statistics clients' levels, the
targets list with each target's actual hires (registered here, over schemes' own: schemes knows no placements),
the release register (read only) and export schedules and runs (both for superusers only).

FOI requests themselves are managed on the /foi/ pages, which limit each officer to their organisation's
requests; they are deliberately not in the admin, where FOI officers (who are staff) would see them all. An
officer sees their requests' releases on the request's page.
"""

from django.contrib import admin

from schemes.admin import HistoryAdmin, TargetAdmin
from schemes.models import Target

from .models import ExportRun, ExportSchedule, HolidayOverride, Release, StatisticsLevel
from .targets import progress


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


admin.site.unregister(Target)


@admin.register(Target)
class TargetProgressAdmin(TargetAdmin):
    """Each pledge or target with the actual hires of its period and whether it is met (reporting/targets.py),
    counted for the page's targets at once."""

    list_display = [*TargetAdmin.list_display, "actual_hires", "progress_label"]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        found = progress(changelist.result_list, request.user)
        for target in changelist.result_list:
            target.progress = found[target.pk]
        return changelist

    @admin.display(description="actual hires")
    def actual_hires(self, target):
        return "not shown" if target.progress.actual is None else target.progress.actual

    @admin.display(description="progress")
    def progress_label(self, target):
        return target.progress.label


class SuperusersOnly:
    """Export schedules and runs in the admin are for superusers; staff use the /exports/ pages, which limit
    each person to their own scope."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(ExportSchedule)
class ExportScheduleAdmin(SuperusersOnly, HistoryAdmin):
    list_display = ["name", "export", "scheme", "organisation", "frequency", "enabled"]
    list_filter = ["export", "frequency", "enabled"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation", "scheme", "owner"]
    filter_horizontal = ["recipients"]
    actions = ["pause", "resume"]

    @admin.action(description="Pause the selected schedules")
    def pause(self, request, queryset):
        queryset.update(enabled=False)  # ExportScheduleQuerySet.update keeps beat in step

    @admin.action(description="Resume the selected schedules")
    def resume(self, request, queryset):
        queryset.update(enabled=True)


@admin.register(ExportRun)
class ExportRunAdmin(SuperusersOnly, admin.ModelAdmin):
    """Runs are made by the exports, never by hand: read only."""

    list_display = ["__str__", "period", "status", "requested_via", "requested_at", "finished_at"]
    list_filter = ["export", "status", "requested_via"]
    readonly_fields = [field.name for field in ExportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
