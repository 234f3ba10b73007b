"""Each export is made once for its scope and period, written under a temporary name, checked, moved into
place and only then marked done; a second message for the same run makes nothing."""

import datetime
import hashlib
import threading

import pytest
import time_machine
from django.db import connection

from reporting.disclosure import DisclosureError
from reporting.exports import builders, runs
from reporting.exports.models import ExportedRecord, ExportRun, RequestedVia, RunStatus
from reporting.exports.periods import Period
from schemes.models import Organisation, Scheme
from tests.exports.conftest import files_in, open_workbook
from tests.factories import PlacementFactory

SEPTEMBER = Period.parse("2024-09")
NOW = datetime.datetime(2024, 10, 1, 6, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clis(db):
    return Scheme.objects.get(code="CLIS")


@pytest.fixture
def ons_hires(world):
    clis = Scheme.objects.get(code="CLIS")
    return PlacementFactory.create_batch(
        7, candidate__organisation=world.ons, scheme=clis, started_on=datetime.date(2024, 3, 4)
    )


def ask(export="foi_pack", period=SEPTEMBER, **scope):
    return runs.request_run(export, period, via=RequestedVia.COMMAND, queue=False, **scope)


def test_asking_again_for_the_same_period_gives_the_same_run(clis):
    first, created = ask(scheme=clis)
    again, created_again = ask(scheme=clis)
    assert created
    assert not created_again
    assert again.pk == first.pk
    other_period, created_other = ask(scheme=clis, period=Period.parse("2024-08"))
    other_scope, created_scope = ask(scheme=clis, organisation=Organisation.objects.get(code="ONS"))
    assert created_other
    assert created_scope
    assert ExportRun.objects.count() == 3


def test_the_run_is_queued_only_once_its_transaction_has_committed(clis, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run, _ = runs.request_run("foi_pack", SEPTEMBER, scheme=clis, via=RequestedVia.PAGE)
        assert ExportRun.objects.get(pk=run.pk).status == RunStatus.QUEUED  # nothing ran yet
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        runs.request_run("foi_pack", SEPTEMBER, scheme=clis, via=RequestedVia.PAGE)
    assert callbacks == []  # the run exists: no second task


def test_a_run_is_written_checked_moved_into_place_and_then_marked_done(clis, ons_hires, exports_root):
    run, _ = ask(scheme=clis)
    outcome = runs.execute_run(run.pk, token="message-1")
    run.refresh_from_db()
    assert outcome.done_now
    assert run.status == RunStatus.DONE
    (path,) = files_in(exports_root)
    assert path.relative_to(exports_root).parts[:2] == ("foi_pack", "2024-09")
    assert run.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert run.file_size == path.stat().st_size
    workbook = open_workbook(path)
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert (path.stat().st_mode & 0o777) == 0o600


def test_a_second_message_for_a_finished_run_makes_nothing(clis, ons_hires, exports_root):
    run, _ = ask(scheme=clis)
    runs.execute_run(run.pk, token="message-1")
    (path,) = files_in(exports_root)
    before = path.read_bytes()
    outcome = runs.execute_run(run.pk, token="message-2")  # the broker delivered it again
    assert outcome.run is None
    assert outcome.wait is None
    assert files_in(exports_root) == [path]
    assert path.read_bytes() == before


def test_a_message_finding_another_holding_the_run_waits_for_its_lease(clis):
    run, _ = ask(scheme=clis)
    claimed, _ = runs.claim(run.pk, "message-1")
    assert claimed is not None
    outcome = runs.execute_run(run.pk, token="message-2")
    assert outcome.run is None
    assert outcome.wait == pytest.approx(runs.lease_length().total_seconds())
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert run.claimed_by == "message-1"


def test_after_a_dead_claimant_s_lease_the_next_one_clears_its_leftovers_and_finishes(clis, ons_hires, exports_root):
    run, _ = ask(scheme=clis)
    claimed, _ = runs.claim(run.pk, "message-1")
    leftover = runs._temporary_path(claimed, "message-1")
    leftover.write_bytes(b"half a workbook")  # the worker died while writing
    with time_machine.travel(NOW + runs.lease_length() + datetime.timedelta(seconds=1), tick=False):
        outcome = runs.execute_run(run.pk, token="message-2")
    assert outcome.done_now
    (path,) = files_in(exports_root)
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.status == RunStatus.DONE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == run.checksum


def test_a_claimant_that_lost_its_lease_removes_its_own_file(clis, ons_hires, exports_root, monkeypatch):
    run, _ = ask(scheme=clis)
    real_build = builders.build

    def slow_build(run, path, progress):
        built = real_build(run, path, progress)
        ExportRun.objects.filter(pk=run.pk).update(claimed_by="message-2")  # another took over meanwhile
        return built

    monkeypatch.setattr(builders, "build", slow_build)
    outcome = runs.execute_run(run.pk, token="message-1")
    assert outcome.run is None
    assert files_in(exports_root) == []
    assert ExportRun.objects.get(pk=run.pk).status == RunStatus.RUNNING  # message-2's to finish


def test_a_pack_that_cannot_be_published_safely_fails_in_words_and_leaves_no_file(clis, exports_root, monkeypatch):
    def refuse(scope, *, by):
        raise DisclosureError("Table_2, 2024 / Newport: the hidden count 3 can be worked out exactly")

    monkeypatch.setattr(runs.builders.sources, "foi_pack", refuse)
    run, _ = ask(scheme=clis)
    runs.execute_run(run.pk, token="message-1")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("The figures could not be published safely, so no file was made: Table_2")
    assert run.status_description().startswith("Failed: The figures could not be published safely")
    assert files_in(exports_root) == []


def test_an_unexpected_error_is_described_without_its_details():
    assert runs.failure_in_words(KeyError("secret internals")) == (
        "An unexpected error stopped the export. The details are in the worker's log."
    )


def test_a_failed_run_asked_for_again_is_queued_again_as_the_same_record(clis, monkeypatch):
    run, _ = ask(scheme=clis)
    runs.fail(run, None, "The export took longer than 30 minutes and was stopped.")
    queued = []
    monkeypatch.setattr(runs, "_queue", queued.append)
    again, created = runs.request_run("foi_pack", SEPTEMBER, scheme=clis, via=RequestedVia.PAGE)
    assert not created
    assert again.pk == run.pk
    assert again.status == RunStatus.QUEUED
    assert again.error == ""
    assert [queued_run.pk for queued_run in queued] == [run.pk]


def test_a_run_started_too_many_times_is_given_up(clis, exports_root):
    run, _ = ask(scheme=clis)
    ExportRun.objects.filter(pk=run.pk).update(attempts=runs.MAX_ATTEMPTS)
    runs.execute_run(run.pk, token="message-1")
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "started 10 times without finishing" in run.error


def test_a_records_extract_needs_an_organisation(clis):
    with pytest.raises(runs.RunError, match="for one organisation"):
        ask("records_extract", scheme=clis)


def test_lost_task_messages_are_queued_again(clis, monkeypatch):
    waiting, _ = ask(scheme=clis)  # its message never arrived
    abandoned, _ = ask(scheme=clis, period=Period.parse("2024-08"))  # its worker died
    runs.claim(abandoned.pk, "dead-message")
    fresh, _ = ask(scheme=clis, period=Period.parse("2024-07"))  # just asked for
    ExportRun.objects.filter(pk=waiting.pk).update(requested_at=NOW - datetime.timedelta(hours=1))
    later = NOW + runs.lease_length() + datetime.timedelta(minutes=1)
    ExportRun.objects.filter(pk=fresh.pk).update(requested_at=later - datetime.timedelta(minutes=1))
    queued = []
    monkeypatch.setattr(runs, "_queue", queued.append)
    with time_machine.travel(later, tick=False):
        assert runs.requeue_stalled_runs() == 2
    assert sorted(run.pk for run in queued) == sorted([waiting.pk, abandoned.pk])


def test_files_are_removed_after_the_retention_period_and_the_run_says_so(world, ons_hires, exports_root, settings):
    settings.EXPORT_RETENTION_DAYS = 30
    run, _ = ask("records_extract", organisation=world.ons)
    runs.execute_run(run.pk, token="message-1")
    assert ExportedRecord.objects.filter(run=run).count() == 7
    with time_machine.travel(NOW + datetime.timedelta(days=29), tick=False):
        assert runs.remove_expired_files() == 0
    with time_machine.travel(NOW + datetime.timedelta(days=31), tick=False):
        assert runs.remove_expired_files() == 1
    run.refresh_from_db()
    assert files_in(exports_root) == []
    assert not run.has_file
    assert not ExportedRecord.objects.filter(run=run).exists()
    assert run.status_description() == "Done. The file was removed on 1 November 2024 (retention)."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_the_same_period_asked_for_at_once_gives_one_run(committed_reference_data):
    """Two requests at the same moment (two beats, or a double click): the database's unique constraint lets one
    create the run and the other find it."""
    scheme = Scheme.objects.get(code="CLIS")
    barrier = threading.Barrier(4)
    results = []

    def ask_at_once():
        barrier.wait()
        try:
            results.append(ask(scheme=scheme))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask_at_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len({run.pk for run, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert ExportRun.objects.count() == 1
