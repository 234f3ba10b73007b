"""The exports pages, included at /exports/ by careleavers/urls.py."""

from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="progress"),
    path("runs/<int:pk>/download/", views.download, name="download"),
    path("schedules/new/", views.schedule_form, name="schedule_new"),
    path("schedules/<int:pk>/", views.schedule_form, name="schedule_edit"),
    path("schedules/<int:pk>/delete/", views.schedule_delete, name="schedule_delete"),
    path("schedules/<int:pk>/run/", views.run_now, name="run_now"),
]
