"""The ledger's calendar, in one place: months, anniversaries and member-years.

Every rule that counts months or years (dues, the debt share's years, a loan's instalments, notice and
pre-saving periods) calls these; none restates them.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later (or earlier), the last day when that month is shorter."""
    number = day.year * 12 + day.month - 1 + months
    year, month = divmod(number, 12)
    return date(year, month + 1, min(day.day, _calendar.monthrange(year, month + 1)[1]))


def anniversary(start: date, years: int) -> date:
    """`start` moved `years` on; 29 February falls on 1 March in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def member_year_bounds(admitted: date, year: int) -> tuple[date, date]:
    """Member-year `year` (1-based) runs from the (year-1)th anniversary to the day before the year-th."""
    return anniversary(admitted, year - 1), anniversary(admitted, year) - timedelta(days=1)


def months_between(first: date, last: date) -> int:
    """Whole calendar months from `first` to `last` (a month counts once its day is reached)."""
    months = (last.year - first.year) * 12 + last.month - first.month
    return months - (1 if last.day < first.day else 0)


__all__ = ["add_months", "anniversary", "member_year_bounds", "months_between"]
