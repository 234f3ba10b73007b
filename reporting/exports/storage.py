"""Private storage for export files: a folder (EXPORTS_ROOT) that no URL serves. Files leave it only through
the download view, which checks who may see them (reporting/exports/views.py)."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """File system storage without URLs: asking for one is a mistake, not a fallback to MEDIA_URL."""

    def url(self, name):
        raise ValueError(f"{name} is in private storage, which has no public URL: link to its download view.")


def export_storage() -> PrivateStorage:
    return PrivateStorage(location=settings.EXPORTS_ROOT, directory_permissions_mode=0o700, file_permissions_mode=0o600)
