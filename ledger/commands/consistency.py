"""Commands check the books, then append: if the log moved on in between, they check again.

A command's checks read many streams: who occupies a dwelling is on every
member's stream, what a fund can lend is on every account, whether a period
is closed is on the society's. The stream versions an append expects cover
only the streams it writes, so two clerks admitting two members to one
dwelling at once would both pass. So a command notes the log's head before
it reads anything and appends only if the head is still there
(`expected_head`); otherwise nothing is written (`LedgerMoved`) and the
command runs again, reading the new books, up to `ATTEMPTS` times. Of the
two clerks, one admits their member; the other is refused because the
dwelling is occupied. A command whose events are all recorded already (a
retry) is a replay whatever moved, and writes nothing.

The test is coarse: any append in between counts, whether or not it touched
what the command read. In a co-op's back office appends are seconds or
minutes apart and most checks take milliseconds (an accrual over a large
ledger, seconds), so a second attempt nearly always settles it; a command
that still loses after `ATTEMPTS` tells the clerk to run it again. (Checking only the streams and types a command read would refuse
less, at the cost of tracking every read: not needed at this write rate.)
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from ledger.errors import LedgerMoved

ATTEMPTS = 5
Command = TypeVar("Command", bound=Callable)


def checks_again(command: Command) -> Command:
    """Run `command` again (all of it: its reads, checks and append) when the log moved while it checked."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return command(*args, **kwargs)
            except LedgerMoved:
                if attempt == ATTEMPTS:
                    raise

    return run  # type: ignore[return-value]
