"""The statistics cache: a burst of identical requests counts once."""

import threading
import time

import pytest

from placements.caching import bump_records_version
from reporting.caching import cached


def test_a_burst_of_misses_computes_once_and_everyone_gets_the_answer():
    computed = []

    def compute():
        computed.append(1)
        time.sleep(0.3)  # long enough for the others to arrive while it counts
        return {"count": 7}

    answers = []
    threads = [threading.Thread(target=lambda: answers.append(cached("burst", compute))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [{"count": 7}] * 5
    assert len(computed) == 1


def test_a_new_records_version_makes_old_answers_unreachable(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # an answer is kept once its transaction commits
        assert cached("answer", lambda: 1) == 1
    assert cached("answer", lambda: 2) == 1
    bump_records_version()
    assert cached("answer", lambda: 3) == 3


def test_an_answer_computed_inside_a_transaction_is_kept_only_if_it_commits(db, django_capture_on_commit_callbacks):
    from django.db import transaction

    def compute_and_roll_back():
        with transaction.atomic():
            assert cached("answer", lambda: "uncommitted") == "uncommitted"
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        compute_and_roll_back()
    assert cached("answer", lambda: "committed") == "committed"
