"""Export tests write their files in a temporary EXPORTS_ROOT, and run tasks in-process (eager) unless they
start a real worker (test_worker.py)."""

import io

import pytest
from openpyxl import load_workbook

from careleavers.celery import app as celery_app


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def eager_tasks():
    """Tasks run as they are queued, in the test's process (after the transaction commits, as in production:
    wrap the asking in django_capture_on_commit_callbacks(execute=True))."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def files_in(root) -> list:
    """Every file under the exports folder, temporary ones included."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def open_workbook(path):
    return load_workbook(io.BytesIO(path.read_bytes()))
