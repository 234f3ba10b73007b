"""Admin for FOI configuration (corrections to the UK holiday calendar), statistics clients' levels, and (for
superusers) export schedules and runs.

FOI requests themselves are managed on the /foi/ pages, which limit each officer to their organisation's
requests; they are deliberately not in the admin, where FOI officers (who are staff) would see them all.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ExportRun, ExportSchedule, HolidayOverride, StatisticsLevel


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(SimpleHistoryAdmin):
    list_display = ["date", "name", "kind"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(StatisticsLevel)
class StatisticsLevelAdmin(SimpleHistoryAdmin):
    """Which scopes each statistics client may ask about (decision 0053); users without one have the default."""

    list_display = ["user", "organisations", "schemes", "year_basis"]
    list_filter = ["organisations", "schemes", "year_basis"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


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
class ExportScheduleAdmin(SuperusersOnly, SimpleHistoryAdmin):
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
