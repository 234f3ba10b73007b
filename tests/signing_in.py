"""Checking a password the way the sign-in pages do: django-axes, first of the authentication backends, needs
the request (it counts failures by account and address), which `authenticate(username=..., password=...)` alone
does not give it."""

from django.contrib import auth
from django.test import RequestFactory


def authenticate(username: str, password: str):
    """The user the sign-in page would let in with this password, or None."""
    return auth.authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)
