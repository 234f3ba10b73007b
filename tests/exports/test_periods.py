"""Periods as people write them, and which one has just ended on the London calendar."""

import datetime

import pytest

from reporting.exports.periods import Frequency, Period, PeriodError

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("text", "frequency", "first", "last", "words"),
    [
        ("2024-09", Frequency.MONTHLY, "2024-09-01", "2024-09-30", "September 2024"),
        ("2024-02", Frequency.MONTHLY, "2024-02-01", "2024-02-29", "February 2024"),
        ("2024-Q3", Frequency.QUARTERLY, "2024-07-01", "2024-09-30", "July to September 2024"),
        ("2024-q4", Frequency.QUARTERLY, "2024-10-01", "2024-12-31", "October to December 2024"),
        ("2024", Frequency.YEARLY, "2024-01-01", "2024-12-31", "2024"),
        ("2024-25", Frequency.FINANCIAL_YEARLY, "2024-04-01", "2025-03-31", "April 2024 to March 2025"),
        ("1999-00", Frequency.FINANCIAL_YEARLY, "1999-04-01", "2000-03-31", "April 1999 to March 2000"),
    ],
)
def test_periods_are_read_as_interfaces_md_writes_them(text, frequency, first, last, words):
    period = Period.parse(text)
    assert period.frequency == frequency
    assert (period.first_day.isoformat(), period.last_day.isoformat()) == (first, last)
    assert period.describe() == words
    assert Period.parse(period.label) == period


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-13", "neither a month nor a financial year: did you mean 2024-25?"),
        ("2024-Q5", "is not a period"),
        ("Sept 2024", "is not a period"),
        ("", "is not a period"),
    ],
)
def test_a_period_that_cannot_be_read_says_what_is_accepted(text, message):
    with pytest.raises(PeriodError, match=message):
        Period.parse(text)


@pytest.mark.parametrize(
    ("now", "frequency", "expected"),
    [
        # 23:30 UTC on 31 March 2024 is already 00:30 on 1 April in London (BST): March has ended there.
        (datetime.datetime(2024, 3, 31, 23, 30, tzinfo=UTC), Frequency.MONTHLY, "2024-03"),
        (datetime.datetime(2024, 3, 31, 22, 30, tzinfo=UTC), Frequency.MONTHLY, "2024-02"),
        # In winter London is on UTC: 23:30 UTC on 31 January is still January.
        (datetime.datetime(2024, 1, 31, 23, 30, tzinfo=UTC), Frequency.MONTHLY, "2023-12"),
        (datetime.datetime(2024, 7, 1, 6, 0, tzinfo=UTC), Frequency.QUARTERLY, "2024-Q2"),
        (datetime.datetime(2025, 1, 1, 6, 0, tzinfo=UTC), Frequency.QUARTERLY, "2024-Q4"),
        (datetime.datetime(2025, 4, 1, 6, 0, tzinfo=UTC), Frequency.FINANCIAL_YEARLY, "2024-25"),
        (datetime.datetime(2025, 3, 31, 6, 0, tzinfo=UTC), Frequency.FINANCIAL_YEARLY, "2023-24"),
        (datetime.datetime(2025, 1, 1, 6, 0, tzinfo=UTC), Frequency.YEARLY, "2024"),
    ],
)
def test_the_last_complete_period_is_the_one_that_has_ended_in_london(now, frequency, expected):
    assert Period.last_complete(frequency, now).label == expected


def test_each_period_follows_the_last_without_gaps():
    for frequency in Frequency.values:
        period = Period.containing(frequency, datetime.date(2023, 11, 15))
        for _ in range(30):
            following = period.next()
            assert following.first_day == period.last_day + datetime.timedelta(days=1)
            assert following.previous() == period
            period = following


def test_a_period_fires_on_the_first_day_after_it_at_the_configured_hour_in_utc(settings):
    settings.EXPORT_SCHEDULE_HOUR_UTC = 6
    assert Period.parse("2024-09").fires_at() == datetime.datetime(2024, 10, 1, 6, tzinfo=UTC)
    assert Period.parse("2024-25").fires_at() == datetime.datetime(2025, 4, 1, 6, tzinfo=UTC)
