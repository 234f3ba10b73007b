"""Signals other apps may listen to, so placements never needs to import them.

`records_changed` is sent after writes that bypass model signals (bulk imports, bulk updates): anything that
caches figures derived from records (the statistics API) listens to it, as well as to post_save/post_delete.

`records_version_replaced` is sent whenever the records version, or the contacts version, is replaced
(placements/caching.py), which every such change does: what keeps figures warm (reporting/warming.py) listens to
it.
"""

from django.dispatch import Signal

records_changed = Signal()
records_version_replaced = Signal()


def announce_records_changed(sender=None) -> None:
    """Call after a bulk write to placements or outcomes (e.g. at the end of an import)."""
    records_changed.send(sender=sender)
