"""Top-level URLs: each app brings its own urls module; this file only wires them together."""

from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "Care leaver employment schemes"
admin.site.site_title = "Care leaver schemes admin"
admin.site.index_title = "Records and reference data"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("careleavers.api_urls")),
]
