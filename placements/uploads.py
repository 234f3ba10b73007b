"""A hires spreadsheet between the admin's check and its confirmation (docs/decisions/0022).

The admin's import checks a file, shows what it would do, and imports it when its user confirms. In between,
the file is kept here, in the database, for that user only: the confirm page carries a token signed with the
site's key and the user's id, naming the kept upload (never a path), which no other user and no forged token
can use. It is deleted once imported, refused, or older than `IMPORT_CONFIRM_SECONDS`, whichever comes first.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.utils import timezone

from .models import HiresUpload


class UploadRefused(Exception):
    """The token names no upload this user may import (forged, another user's, imported already or too old)."""

    message = (
        "That file is no longer waiting to be imported: it was imported or refused already, or waited longer "
        "than the time limit. Choose it again."
    )


def _signer(user) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"placements.uploads:{user.pk}")


def _max_age() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.IMPORT_CONFIRM_SECONDS)


def keep(user, file_name: str, format_index: int, content: bytes) -> str:
    """Keep a checked file until `user` confirms it; return the token the confirm page carries."""
    remove_abandoned()
    upload = HiresUpload.objects.create(user=user, file_name=file_name[:255], format=format_index, content=content)
    return _signer(user).sign(upload.pk.hex)


def claim(user, token: str) -> HiresUpload:
    """The upload `token` names, if `user` kept it and it has not waited too long; locked until the request's
    transaction ends, so a second confirmation of the same file waits, then finds it gone."""
    try:
        upload_id = _signer(user).unsign(token, max_age=_max_age())
    except signing.BadSignature as error:  # a forged or altered token, another user's, or too old
        raise UploadRefused from error
    upload = HiresUpload.objects.select_for_update().filter(pk=upload_id, user=user).first()
    if upload is None:
        raise UploadRefused
    return upload


def content_of(upload_id) -> bytes:
    """The file of a claimed upload, as the import formats read it."""
    return bytes(HiresUpload.objects.values_list("content", flat=True).get(pk=upload_id))


def remove(upload_id) -> None:
    HiresUpload.objects.filter(pk=upload_id).delete()


def remove_abandoned() -> int:
    """Delete every upload that has waited longer than the time limit; return how many."""
    deleted, _ = HiresUpload.objects.filter(uploaded_at__lt=timezone.now() - _max_age()).delete()
    return deleted
