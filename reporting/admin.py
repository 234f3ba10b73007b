"""Admin for FOI configuration (corrections to the UK holiday calendar), statistics clients' levels, and the
targets list with each target's actual hires (registered here, over schemes' own: schemes knows no placements).

FOI requests themselves are managed on the /foi/ pages, which limit each officer to their organisation's
requests; they are deliberately not in the admin, where FOI officers (who are staff) would see them all.
"""

from django.contrib import admin

from schemes.admin import HistoryAdmin, TargetAdmin
from schemes.models import Target

from .models import HolidayOverride, StatisticsLevel
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
