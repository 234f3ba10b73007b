"""The managers' dashboards, included at /dashboard/ by careleavers/urls.py."""

from django.urls import path

from . import pipeline, views

app_name = "dashboard"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("targets/", views.targets, name="targets"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("pipeline/<int:pk>/contact/", pipeline.contact, name="pipeline_contact"),
    path("<slug:page>/<slug:slug>.<str:extension>", views.download, name="download"),
]
