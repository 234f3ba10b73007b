"""Recording a contact with a candidate: the one door every page (the pipeline dashboard, the admin) goes through.

It checks the access rule (`Action.RECORD_CONTACT`: HR and managers of the organisation that holds the record),
the contact's own rules (`Contact.clean`), and keeps `Placement.last_contact_on` on the latest contact, all in one
transaction, so a contact refused leaves nothing behind. Both writes are kept by django-simple-history under
the user who recorded them (docs/decisions/0085-waiting-offers-and-contacts.md).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .access import Action, allows
from .models import Contact, Placement


@transaction.atomic
def record_contact(user, placement: Placement, *, contacted_on: datetime.date, method: str, note: str = "") -> Contact:
    """Record that `user` was in touch with the candidate of `placement`. Raises PermissionDenied when the rule
    refuses (nothing is read or written then) and ValidationError naming the field for a bad date or note."""
    if not allows(user, Action.RECORD_CONTACT, placement):
        raise PermissionDenied("You cannot record contacts for this placement.")
    # Locked, so two contacts recorded at once both count towards the latest.
    placement = Placement.objects.select_for_update().select_related("scheme").get(pk=placement.pk)
    contact = Contact(placement=placement, contacted_on=contacted_on, method=method, note=note, recorded_by=user)
    contact.full_clean()
    contact._history_user = user
    contact.save()
    if placement.last_contact_on is None or placement.last_contact_on < contacted_on:
        placement.last_contact_on = contacted_on
        placement._history_user = user
        placement._change_reason = f"Contact recorded ({contact.get_method_display().lower()})"
        placement.save(update_fields=["last_contact_on", "updated_at"])
    return contact
