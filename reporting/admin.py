"""Admin for the one piece of FOI configuration: corrections to the UK holiday calendar.

FOI requests themselves are managed on the /foi/ pages, which limit each officer to their organisation's
requests; they are deliberately not in the admin, where FOI officers (who are staff) would see them all.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import HolidayOverride


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(SimpleHistoryAdmin):
    list_display = ["date", "name", "kind"]
    list_filter = ["kind"]
    date_hierarchy = "date"
