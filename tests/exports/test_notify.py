"""When a scheduled export is ready its recipients get an email with a link to it, never the file, and only
those who may open it."""

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail

from reporting.exports import notify, runs
from reporting.exports.models import ExportRun, ExportSchedule, RequestedVia
from reporting.exports.periods import Period
from schemes.services import set_up_user


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2024, 10, 1, 7, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def scheduled_run(world, settings, eager_tasks, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://care-leavers.example.gov.uk"
    schedule = ExportSchedule.objects.create(
        name="ONS FOI pack", export="foi_pack", organisation=world.ons, frequency="monthly"
    )
    schedule.recipients.add(
        set_up_user("ons_analyst", "manager", ["ONS"], email="analyst@ons.example.gov.uk"),
        set_up_user("dwp_analyst", "manager", ["DWP"], email="analyst@dwp.example.gov.uk"),  # may not see it
    )
    run, _ = runs.request_run(
        "foi_pack",
        Period.parse("2024-09"),
        organisation=world.ons,
        schedule=schedule,
        via=RequestedVia.SCHEDULE,
        queue=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        runs.execute_run(run.pk, token="test")
    run.refresh_from_db()
    return run


def test_recipients_who_may_see_the_file_get_a_link_to_it(scheduled_run):
    (email,) = mail.outbox
    assert email.to == ["analyst@ons.example.gov.uk"]
    assert email.subject == "ONS FOI pack: September 2024 is ready"
    assert f"https://care-leavers.example.gov.uk/exports/runs/{scheduled_run.pk}/download/" in email.body
    assert "The file is kept until 30 December 2024." in email.body
    assert email.attachments == []
    assert ExportRun.objects.get(pk=scheduled_run.pk).notified_at is not None


def test_a_redelivered_message_sends_no_second_email(scheduled_run):
    assert notify.send_ready_emails(scheduled_run.pk) == 0
    assert len(mail.outbox) == 1


def test_an_email_that_could_not_be_sent_is_sent_by_the_retry(scheduled_run, monkeypatch):
    ExportRun.objects.filter(pk=scheduled_run.pk).update(notified_at=None)
    mail.outbox.clear()

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notify.send_ready_emails(scheduled_run.pk)
    assert ExportRun.objects.get(pk=scheduled_run.pk).notified_at is None
    monkeypatch.undo()
    assert notify.send_ready_emails(scheduled_run.pk) == 1
