"""The statistics cache: a burst of identical requests counts once."""

import threading
import time

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


def test_a_new_records_version_makes_old_answers_unreachable(db):
    assert cached("answer", lambda: 1) == 1
    assert cached("answer", lambda: 2) == 1
    bump_records_version()
    assert cached("answer", lambda: 3) == 3
