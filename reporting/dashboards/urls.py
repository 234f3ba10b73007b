"""The managers' dashboards, included at /dashboard/ by careleavers/urls.py. The pipeline page
(/dashboard/pipeline/) is mounted by its own app; its tables download through `download` like these."""

from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("targets/", views.targets, name="targets"),
    path("<slug:page>/<slug:slug>.<str:extension>", views.download, name="download"),
]
