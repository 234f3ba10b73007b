"""Admin for FOI configuration (corrections to the UK holiday calendar) and statistics clients' levels.

FOI requests themselves are managed on the /foi/ pages, which limit each officer to their organisation's
requests; they are deliberately not in the admin, where FOI officers (who are staff) would see them all.
"""

from django.contrib import admin

from schemes.admin import HistoryAdmin

from .models import HolidayOverride, StatisticsLevel


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
