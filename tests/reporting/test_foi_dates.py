"""The statutory FOI deadline on real UK calendars. Every expected date was counted by hand, day by day,
from the published bank holidays of England and Wales, Scotland and Northern Ireland (gov.uk/bank-holidays);
the comments show the count."""

import datetime

import pytest

from reporting.foi_dates import Pause, WorkingCalendar, due_date, uk_holidays
from reporting.models import HolidayOverride, HolidayOverrideKind

D = datetime.date


def test_received_thursday_19_december_2024_is_due_wednesday_22_january_2025():
    # Day 1 Fri 20 Dec; 2 Mon 23; 3 Tue 24; (Wed 25 Christmas, Thu 26 Boxing Day) 4 Fri 27; 5 Mon 30;
    # 6 Tue 31; (Wed 1 Jan New Year's Day, Thu 2 Jan Scotland's New Year holiday) 7 Fri 3 Jan;
    # 8-12 Mon 6 - Fri 10 Jan; 13-17 Mon 13 - Fri 17 Jan; 18 Mon 20; 19 Tue 21; 20 Wed 22 January.
    assert due_date(D(2024, 12, 19)) == D(2025, 1, 22)


def test_scotlands_2_january_counts_even_for_an_english_body():
    # Without Scotland's 2 January the count above would end one day earlier, on Tue 21 January.
    assert D(2025, 1, 2) in uk_holidays(2025)
    assert not WorkingCalendar().is_working_day(D(2025, 1, 2))


def test_received_on_a_saturday_day_one_is_the_monday():
    # Received Sat 1 Mar 2025. Day 1 Mon 3 Mar; 1-5 Mon 3 - Fri 7; 6-10 Mon 10 - Fri 14;
    # (Mon 17 Mar St Patrick's Day, Northern Ireland) 11-14 Tue 18 - Fri 21; 15-19 Mon 24 - Fri 28;
    # 20 Mon 31 March.
    assert due_date(D(2025, 3, 1)) == D(2025, 3, 31)
    # The Sunday after gives the same day 1, so the same deadline.
    assert due_date(D(2025, 3, 2)) == D(2025, 3, 31)


def test_received_across_easter_2025():
    # Received Tue 1 Apr 2025. 1-3 Wed 2 - Fri 4 Apr; 4-8 Mon 7 - Fri 11; 9-12 Mon 14 - Thu 17;
    # (Fri 18 Good Friday, Mon 21 Easter Monday) 13-16 Tue 22 - Fri 25; 17-20 Mon 28 Apr - Thu 1 May.
    assert due_date(D(2025, 4, 1)) == D(2025, 5, 1)


def test_received_across_the_coronation_bank_holiday_of_8_may_2023():
    # Received Thu 4 May 2023. Day 1 Fri 5; (Mon 8 May, Coronation of King Charles III) 2-5 Tue 9 - Fri 12;
    # 6-10 Mon 15 - Fri 19; 11-15 Mon 22 - Fri 26; (Mon 29 May, Spring bank holiday) 16-19 Tue 30 May - Fri 2
    # June; 20 Mon 5 June.
    assert due_date(D(2023, 5, 4)) == D(2023, 6, 5)


def test_a_clarification_stops_the_clock_while_the_requester_replies():
    # Received Mon 2 Sep 2024 (no bank holidays in September or October anywhere in the UK).
    # Without a pause: 1-4 Tue 3 - Fri 6; 5-9 Mon 9 - Fri 13; 10-14; 15-19; 20 Mon 30 Sep.
    assert due_date(D(2024, 9, 2)) == D(2024, 9, 30)
    # Clarification asked Wed 4 Sep (day 2 still counts), received Tue 10 Sep: Thu 5, Fri 6, Mon 9 and Tue 10
    # do not count. 3 Wed 11; 4 Thu 12; 5 Fri 13; 6-10 Mon 16 - Fri 20; 11-15 Mon 23 - Fri 27;
    # 16-20 Mon 30 Sep - Fri 4 Oct.
    assert due_date(D(2024, 9, 2), pauses=[Pause(D(2024, 9, 4), D(2024, 9, 10))]) == D(2024, 10, 4)


def test_no_deadline_while_waiting_for_the_clarification():
    assert due_date(D(2024, 9, 2), pauses=[Pause(D(2024, 9, 4))]) is None


def test_a_public_interest_extension_adds_working_days():
    # Base deadline Mon 30 Sep 2024 (above); 20 more: 1-4 Tue 1 - Fri 4 Oct; 5-9 Mon 7 - Fri 11; 10-14;
    # 15-19 Mon 21 - Fri 25; 20 Mon 28 October.
    assert due_date(D(2024, 9, 2), extension_days=20) == D(2024, 10, 28)
    assert due_date(D(2024, 9, 2), extension_days=3) == D(2024, 10, 3)


def test_an_extension_beyond_20_working_days_is_refused():
    with pytest.raises(ValueError, match="0 to 20"):
        due_date(D(2024, 9, 2), extension_days=21)


def test_a_one_off_proclaimed_holiday_moves_the_deadline():
    # Suppose Fri 13 Sep 2024 had been proclaimed a holiday: the count from Mon 2 Sep loses a day,
    # so day 20 becomes Tue 1 October instead of Mon 30 September.
    assert due_date(D(2024, 9, 2), calendar=WorkingCalendar(extra_holidays=frozenset({D(2024, 9, 13)}))) == D(
        2024, 10, 1
    )
    # And a listed holiday that did not happen: Easter Monday 2025 as a working day brings the Easter
    # deadline forward from Thu 1 May to Wed 30 April.
    assert due_date(D(2025, 4, 1), calendar=WorkingCalendar(not_holidays=frozenset({D(2025, 4, 21)}))) == D(2025, 4, 30)


def test_the_override_table_feeds_the_calendar(db):
    HolidayOverride.objects.create(date=D(2024, 9, 13), name="State occasion")
    HolidayOverride.objects.create(date=D(2025, 4, 21), name="Not observed", kind=HolidayOverrideKind.REMOVE)
    calendar = HolidayOverride.objects.calendar()
    assert due_date(D(2024, 9, 2), calendar=calendar) == D(2024, 10, 1)
    assert calendar.is_working_day(D(2025, 4, 21))


def test_received_on_christmas_day_day_one_is_the_next_working_day():
    # Received Wed 25 Dec 2024 (Christmas Day). Thu 26 is Boxing Day, so day 1 is Fri 27 Dec; then as for
    # 19 December: 2-3 Mon 30, Tue 31; (1 and 2 Jan) 4 Fri 3 Jan; 5-9 Mon 6 - Fri 10; 10-14 Mon 13 - Fri 17;
    # 15-19 Mon 20 - Fri 24; 20 Mon 27 January.
    assert due_date(D(2024, 12, 25)) == D(2025, 1, 27)


def test_two_clarifications_both_stop_the_clock():
    # Received Mon 2 Sep 2024, due Mon 30 Sep without pauses. Paused Thu 5 - Fri 6 Sep (asked Wed 4, received
    # Fri 6: 2 working days) and Tue 17 - Wed 18 Sep (asked Mon 16, received Wed 18: 2 working days), so the
    # deadline moves 4 working days: Tue 1, Wed 2, Thu 3, Fri 4 October.
    pauses = [Pause(D(2024, 9, 4), D(2024, 9, 6)), Pause(D(2024, 9, 16), D(2024, 9, 18))]
    assert due_date(D(2024, 9, 2), pauses=pauses) == D(2024, 10, 4)
