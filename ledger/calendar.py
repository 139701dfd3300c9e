"""The ledger's calendar, in one place: months, anniversaries and member-years.

Every rule that counts months or years (dues, the debt share's years, a loan's instalments, notice and
pre-saving periods) calls these; none restates them.
"""

from __future__ import annotations

import calendar as _calendar
import re
from datetime import date, timedelta

FIRST_YEAR, LAST_YEAR = 1900, 2199  # the years a date given to the ledger may name (an event's date, an as-of date)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def given_date(text: str) -> date:
    """A date a user gave (a command's option, a page's query): ISO, real, and within the ledger's years. A
    ValueError says why not: the command line and the web refuse alike (a page once folded to the year 9999)."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)")
    try:
        parsed = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(f"{text!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return parsed


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


__all__ = ["FIRST_YEAR", "LAST_YEAR", "add_months", "anniversary", "given_date", "member_year_bounds",
           "months_between"]
