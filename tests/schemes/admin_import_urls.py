"""An admin site with only the reference import on Organisations, to test it on its own (until branch
`admin`'s OrganisationAdmin carries it)."""

from django.contrib import admin
from django.urls import path

from schemes.admin_import import ReferenceImportMixin
from schemes.models import Organisation

site = admin.AdminSite(name="admin")


@admin.register(Organisation, site=site)
class OrganisationImportOnlyAdmin(ReferenceImportMixin, admin.ModelAdmin):
    pass


urlpatterns = [path("admin/", site.urls)]
