"""An admin site with only the hires import on Placement, so the import can be tested on its own.

Used with `@pytest.mark.urls` until the real PlacementAdmin (branch `admin`) carries the import."""

from django.contrib import admin
from django.urls import path

from placements.admin_import import HiresImportMixin
from placements.models import Placement

site = admin.AdminSite(name="admin")


@admin.register(Placement, site=site)
class PlacementImportOnlyAdmin(HiresImportMixin, admin.ModelAdmin):
    pass


urlpatterns = [path("admin/", site.urls)]
