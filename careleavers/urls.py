"""Top-level URLs: each app brings its own urls module; this file only wires them together."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from reporting.dashboards import pipeline

from . import views
from .forms import GovukAuthenticationForm

admin.site.site_header = "Care leaver employment schemes"
admin.site.site_title = "Care leaver schemes admin"
admin.site.index_title = "Records and reference data"
# No navigation sidebar: beside the list filters it left a 1280 px screen 630 px for a list's columns; the
# breadcrumbs and the index lead everywhere it did (docs/decisions/0045-admin-lists-fit-a-laptop.md).
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=GovukAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/logged-out/", TemplateView.as_view(template_name="registration/logged_out.html"), name="logged_out"),
    # Before any `dashboard/` include, so these addresses are the pipeline's whatever the include holds.
    path("dashboard/pipeline/", pipeline.pipeline, name="pipeline"),
    path("dashboard/pipeline/<int:pk>/contact/", pipeline.contact, name="pipeline_contact"),
    path("foi/", include("reporting.urls")),
    path("exports/", include("reporting.exports.urls")),
    path("api/v1/", include("careleavers.api_urls")),
]
