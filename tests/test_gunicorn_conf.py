"""gunicorn.conf.py: after a worker loads the application, every view is imported and then frozen out of the
garbage collector's sight (full collections over Django's long-lived objects paused workers for ~100 ms)."""

import gc
import runpy
import sys
from pathlib import Path

from django.conf import settings


def test_a_worker_imports_every_view_then_freezes_what_is_loaded():
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        config["post_worker_init"](worker=None)
        assert "placements.api.views" in sys.modules
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
