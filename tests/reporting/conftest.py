import pytest


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Pages render `{% static %}` links; tests run without `collectstatic`, so no manifest to look names up in."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
