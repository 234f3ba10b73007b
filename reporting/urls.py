"""The FOI officers' pages, included at /foi/ by careleavers/urls.py."""

from django.urls import path

from . import views

app_name = "foi"
urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.new_request, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/clarification/", views.ask_for_clarification, name="clarification"),
    path("<int:pk>/clarification/received/", views.clarification_received, name="clarification_received"),
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/pack/", views.generate_pack, name="generate_pack"),
    path("<int:pk>/pack/download/", views.download_pack, name="download_pack"),
]
