"""A member's statement for a period: who they are (the register of people), what fell due and what they paid
and how each payment was allocated, their arrears month by month, their units, debt share, equity and payout if
leaving, and (for a saver) their balances, points and loans, with a chart of how these moved.

Every figure is a query's own figure: `member show` (projections/coop.py `member_show`) at the period's start and
end and at each month's end for the chart, `arrangement show` (projections/arrears.py) for the months in arrears,
`savings show` (projections/fund.py `holder`) for a saver; which dues each payment paid is the one allocation
rule (ledger/rules/payments.py `paid_oldest_first`) applied to the member's book (ledger/coop/arrears.py
`MemberBook`) as the arrears fold applies it. Nothing is computed again here.

`StatementBooks` reads the books once for many statements (`mutual statements`): one source as known at one
time, the chain head it stands on, one register of people, one index of the fund.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger import streams
from ledger.coop.arrears import MemberBook
from ledger.coop.member import admission_of
from ledger.errors import FieldError, NotFound, ValidationFailed
from ledger.events.coop import MemberAdmitted
from ledger.fund.reading import FundIndex, read_holder
from ledger.money import ZERO, round_money
from ledger.people.register import Person
from ledger.rules.payments import paid_oldest_first
from ledger.source import StoreSource
from ledger.store import EventStore
from ledger.store.people import Register
from projections import shared_books
from projections.arrears import member_arrears_show, member_book
from projections.coop import member_position, member_positions, member_show, share_folds
from projections.documents.charts import Line, Panel, chart_svg
from projections.documents.render import BATCH_GC_THRESHOLDS, environment, for_a_batch, render_html, render_pdf
from projections.head import ChainHead, head_known_at
from projections.shared_books import books_key

TEMPLATE = "statement.html"


def check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed([FieldError("--to", f"{end.isoformat()} is before --from {start.isoformat()}")])


@dataclass
class StatementBooks:
    """The books read once for any number of statements: one source, as known at the head's recorded time."""

    store: EventStore
    head: ChainHead
    source: StoreSource
    register: Register
    fund_index: FundIndex | None = None
    people: dict[str, Person | None] = field(default_factory=dict)

    @classmethod
    def open(cls, store: EventStore, as_known_at: datetime | None, *, shared: bool = False) -> StatementBooks:
        """The head first, then the source as known at its recorded time: what a later append adds is not read.

        `shared` (a server's pages): the streams read and the members' positions folded for these books are kept
        for the next books opened on the same head as known at the same time (`SHARED_BOOKS`), so a page reads only
        the streams no earlier page has, and a member's chart folds only the month ends no earlier page has."""
        head = head_known_at(store, as_known_at)
        known_at = head.recorded_at if as_known_at is None else as_known_at
        if not shared:
            return cls(store, head, StoreSource(store, as_known_at=known_at, to_position=head.position),
                       Register(store.engine))
        folds, window = shared_books.SHARED_BOOKS.of(books_key(store, head),
                                        lambda since: list(store.read(after=since - 1, to_position=head.position)))
        source = StoreSource(store, as_known_at=known_at, window=window, to_position=head.position)
        books = cls(store, head, source, Register(store.engine))
        share_folds(books.source, folds)
        return books

    @property
    def key(self) -> tuple[Any, ...]:
        """What names these books exactly: the ledger and its chain head (`books_key`)."""
        return books_key(self.store, self.head)

    def person(self, member_id: str) -> Person | None:
        if member_id not in self.people:
            found = self.register.find(member_id, "member")
            self.people[member_id] = found[0] if found else None
        return self.people[member_id]

    def index(self) -> FundIndex:
        if self.fund_index is None:
            self.fund_index = FundIndex(self.source)
        return self.fund_index

    def members_of(self, coop_id: str, start: date, end: date) -> list[str]:
        """The co-op's members admitted by `end` who had not left before `start`, by id."""
        self.source.require(streams.society(coop_id), f"society {coop_id}")
        found = []
        for e in self.source.of_type(MemberAdmitted.event_type):
            adm = admission_of([e])
            if adm is None or adm.coop_id != coop_id or adm.admitted_on > end:
                continue
            left = member_position(self.source, adm.member_id, end).ledger.left_on
            if left is None or left >= start:
                found.append(adm.member_id)
        return sorted(found)


def month_ends(start: date, end: date) -> Iterator[date]:
    """`start`, each month's last day after it and before `end`, and `end`."""
    yield start
    day = start
    while True:
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        if last >= end:
            break
        if last > start:
            yield last
        day = last + timedelta(days=1)
    if end > start:
        yield end


def person_shown(books: StatementBooks, member_id: str) -> dict[str, Any]:
    """The member's name and address as the register has them now (kept off the chain: read fresh, never kept)."""
    return _person(member_id, books.person(member_id))


def _person(member_id: str, person: Person | None) -> dict[str, Any]:
    """Name and address as the register has them; an erased person is said so; a person not in it, by id."""
    if person is None:
        return {"name": member_id, "address": [], "erased": False, "in_register": False}
    address = person.fields.get("address") if not person.erased else None
    lines = [part.strip() for part in (address or "").replace("\n", ",").split(",") if part.strip()]
    return {"name": person.display_name, "address": lines, "erased": person.erased, "in_register": True}


def _receipts(book: MemberBook, start: date, end: date) -> list[dict[str, Any]]:
    """Each payment in the period and the dues it paid, by the one rule (oldest first, over the dues by `end`); the
    arrears a leaving member's payout settled (the lien) pay dues too, and are marked `lien`: no money came in."""
    dues = [(period, amount) for on, period, amount in book.dues if on <= end]
    amounts = [a for _, a in dues]
    paid_so_far = ZERO
    out = []
    before: list[Decimal] | None = None  # what the payments so far had paid (the last payment's `after`)
    for place, (on, received) in enumerate(book.payments):
        if on > end:
            break
        if on < start:
            paid_so_far += received
            continue
        if before is None:
            before = paid_oldest_first(amounts, paid_so_far)
        paid_so_far += received
        after = paid_oldest_first(amounts, paid_so_far)
        paid = [(period, a - b) for (period, _), a, b in zip(dues, after, before, strict=True) if a != b]
        out.append({"on": on, "amount": received, "paid": [{"period": p, "amount": a} for p, a in paid],
                    "credit": received - sum((a for _, a in paid), ZERO), "lien": place in book.liens})
        before = after
    return out


def _dues(book: MemberBook, start: date, end: date) -> list[dict[str, Any]]:
    """The dues that fell due in the period and what the payments by `end` paid against each."""
    return [{"period": m.period, "due_on": m.due_on, "due": m.due, "paid": m.paid, "outstanding": m.outstanding}
            for m in book.owed(end) if start <= m.due_on <= end]


def _years(books: StatementBooks, member_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """The member's years closed in the period: where the year's receipts went."""
    years = member_position(books.source, member_id, end).ledger.years
    return [{"year": y.year, "start": y.start, "end": y.end, "received": round_money(y.received),
             "charges": round_money(y.charges), "mortgage_payment": round_money(y.payment),
             "equity_stake": round_money(y.equity_stake), "reserve": round_money(y.reserve)}
            for y in years if start <= y.end <= end]


def _saver(books: StatementBooks, member_id: str, days: list[date]) -> tuple[dict[str, Any] | None, list[Decimal]]:
    index = books.index()
    if not (index.holder_accounts(member_id) or index.holder_loans(member_id) or index.holder_gifts(member_id)):
        return None, []
    points = []
    for day in days:
        try:
            points.append(read_holder(books.source, member_id, day, index).points)
        except NotFound:
            points.append(ZERO)
    return read_holder(books.source, member_id, days[-1], index).to_json(), points


def statement_data(books: StatementBooks, member_id: str, start: date, end: date) -> dict[str, Any]:
    """Everything a member's statement shows, as plain data (Decimals and dates): the figures of `member show
    --json`, `arrangement show --json` and `savings show --json` on the same dates, as known at the same time."""
    check_period(start, end)
    closing = member_show(books.source, member_id, end)
    admitted_on: date = closing["admitted_on"]
    opening = member_show(books.source, member_id, start) if admitted_on <= start else None
    book = member_book(books.source, member_id)
    chart = chart_data(books, member_id, max(start, admitted_on), end)
    return {
        "member": member_id,
        "person": person_shown(books, member_id),
        "period": {"from": start, "to": end},
        "head": books.head,
        "as_known_at": books.head.known_at,
        "opening": opening,
        "closing": closing,
        "dues": _dues(book, start, end),
        "receipts": _receipts(book, start, end),
        "years": _years(books, member_id, start, end),
        "arrears": member_arrears_show(books.source, member_id, end),
        **chart,
    }


def payments_and_savings(books: StatementBooks, member_id: str, start: date, end: date) -> dict[str, Any]:
    """The part of a statement a member's web page shows beside `member show`: the payments received from `start`
    to `end` and what each paid (`receipts`), and for a saver `savings show` on `end` (`saver`); the statement's
    own functions, without folding its opening figures and chart's month ends, which the page does not show."""
    check_period(start, end)
    saver, _ = _saver(books, member_id, [end])
    return {"receipts": _receipts(member_book(books.source, member_id), start, end), "saver": saver}


def chart_data(books: StatementBooks, member_id: str, start: date, end: date) -> dict[str, Any]:
    """What the statement's chart draws, alone (`saver` and `series` of `statement_data`): `member show` (and for a
    saver `savings show`) at `start` and each month's end to `end`. A member's web page draws the chart since
    admission from this without gathering the dues and receipts of every year since."""
    days = list(month_ends(start, end))
    positions = member_positions(books.source, member_id, days)  # the figures `member show` gives, not its JSON
    saver, points = _saver(books, member_id, days)
    return {"saver": saver,
            "series": {"days": days, "gross_equity": [p.gross_equity for p in positions],
                       "debt_share": [p.debt_share_shown for p in positions],
                       "unit_value": [round_money(p.unit_value) for p in positions], "points": points}}


def statement_panels(data: dict[str, Any]) -> list[Panel]:
    """What the statement's chart shows: equity and debt share, the unit's value, and a saver's points."""
    s = data["series"]
    panels = [Panel("Equity and debt share", "pounds", [Line("gross equity", s["days"], s["gross_equity"]),
                                                   Line("debt share", s["days"], s["debt_share"])]),
              Panel("Unit value", "pounds per unit", [Line("unit value", s["days"], s["unit_value"])])]
    if data["saver"] is not None:
        panels.append(Panel("Savings points", "points", [Line("points", s["days"], s["points"])], pounds=False))
    return panels


def statement_chart(data: dict[str, Any]) -> str:
    """The statement's chart as SVG (drawn by matplotlib) for the document."""
    panels = statement_panels(data)
    return chart_svg(panels, width=7.2 if len(panels) == 2 else 7.6)


def statement_html(data: dict[str, Any], *, for_pdf: bool = False, chart: str | None = None,
                   engine: str = "weasyprint") -> str:
    return render_html(TEMPLATE, {**data, "chart": chart if chart is not None else statement_chart(data)},
                       for_pdf=for_pdf, engine=engine)


def statement_pdf(data: dict[str, Any], chart: str | None = None) -> bytes:
    context = {**data, "chart": chart if chart is not None else statement_chart(data)}
    head: ChainHead = data["head"]
    return render_pdf(TEMPLATE, context, head.recorded_at)


def render_statement(data: dict[str, Any], fmt: str) -> bytes:
    """The statement as `fmt` (html or pdf), as bytes to write."""
    if fmt == "pdf":
        return statement_pdf(data)
    return statement_html(data).encode()


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)


def statement_name(data: dict[str, Any], fmt: str) -> str:
    """The file a member's statement is written to: member id and period name it."""
    period = data["period"]
    return f"statement-{data['member']}-{period['from'].isoformat()}-{period['to'].isoformat()}.{fmt}"


def statement_file(data: dict[str, Any], fmt: str, folder: str) -> str:
    """Render one member's statement into `folder`; its path."""
    import os

    path = os.path.join(folder, statement_name(data, fmt))
    _write(path, render_statement(data, fmt))
    return path


def chromium_html(data: dict[str, Any]) -> str:
    """The statement's HTML as Chromium prints it (chart drawn, stylesheet inline)."""
    return statement_html(data, for_pdf=True, engine="chromium")


def _worker_start(store: EventStore) -> None:
    """A forked worker leaves the parent's database connections alone (`dispose(close=False)`, SQLAlchemy's advice
    for a fork) and is set up to render a batch (render.for_a_batch)."""
    store.engine.dispose(close=False)
    for_a_batch()


def _html_worker_start(store: EventStore) -> None:
    """A forked worker that draws charts and renders HTML only (Chromium prints): templates loaded, the collector
    run less often."""
    import gc

    store.engine.dispose(close=False)
    environment()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)


def _ready() -> None:
    """Nothing: submitted once so that the pool's workers are forked before the browser starts."""


def chromium_batch(datas: list[dict[str, Any]], folder: str) -> tuple[str, list[tuple[str, str]]]:
    """Statements' HTML as Chromium prints them in one go (chromium.batch_html), and each one's file and title."""
    from projections.documents.chromium import batch_html

    html, titles = batch_html([chromium_html(data) for data in datas])
    return html, [(os.path.join(folder, statement_name(data, "pdf")), title)
                  for data, title in zip(datas, titles, strict=True)]


def _engine_failed(exc: Exception, datas: list[dict[str, Any]]) -> ValidationFailed:
    """A batch that could not be printed and split, named as the engine's failure."""
    first, last = statement_name(datas[0], "pdf"), statement_name(datas[-1], "pdf")
    return ValidationFailed([FieldError("--engine", f"Chromium failed: {exc} (the batch {first} to {last}; "
                                                    "--engine weasyprint prints without it)")])


async def _print_with_chromium(books: StatementBooks, member_ids: list[str], start: date, end: date, folder: str,
                               workers: int, on_done: Any, pool: Any) -> list[str]:
    """The figures read here; the charts and HTML rendered, and each printed batch split, by `pool` (or here,
    without one); each batch of statements printed at once by one browser's `workers` pages (chromium.BATCH at a
    time: Chromium's print has a large fixed cost); at most two batches a page in hand at once."""
    import asyncio

    from projections.documents.chromium import BATCH, Printer, SplitFailed, split

    loop = asyncio.get_running_loop()
    window = asyncio.Semaphore(2 * workers)
    size = max(1, min(BATCH, -(-len(member_ids) // workers)))  # a small run still keeps every page busy
    paths: list[str] = []

    async def off_loop(work: Any, *args: Any) -> Any:
        return await loop.run_in_executor(pool, work, *args) if pool else work(*args)

    async with Printer(workers) as printer:

        async def one(datas: list[dict[str, Any]]) -> None:
            try:
                try:
                    html, files = await off_loop(chromium_batch, datas, folder)
                    written = await off_loop(split, await printer.pdf(html), files, books.head.recorded_at)
                except SplitFailed as exc:  # raised in a worker: an error with fields does not cross processes
                    raise _engine_failed(exc, datas) from None
                paths.extend(written)
                for path in written if on_done is not None else []:
                    on_done(path)
            finally:
                window.release()

        running: set[asyncio.Task[None]] = set()
        try:
            for first in range(0, len(member_ids), size):
                await window.acquire()
                for task in [t for t in running if t.done()]:
                    running.discard(task)
                    task.result()  # a batch that failed stops the run
                datas = [statement_data(books, m, start, end) for m in member_ids[first: first + size]]
                running.add(asyncio.create_task(one(datas)))
            await asyncio.gather(*running)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
    return sorted(paths)


def _write_with_chromium(books: StatementBooks, member_ids: list[str], start: date, end: date, folder: str,
                         workers: int, on_done: Any) -> list[str]:

    if workers <= 1:
        return _run(_print_with_chromium(books, member_ids, start, end, folder, 1, on_done, None))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_html_worker_start,
                             initargs=(books.store,)) as pool:
        pool.submit(_ready).result()  # forked now, before the browser's driver is started
        return _run(_print_with_chromium(books, member_ids, start, end, folder, workers, on_done, pool))


def _run(printing: Any) -> list[str]:
    """Run the printing coroutine to its end: here, or, when this thread already runs an event loop (a server's, or
    Playwright's sync API in the same process), in a thread of its own, since a loop cannot be started inside one."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(printing)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="statements") as thread:
        return thread.submit(asyncio.run, printing).result()  # type: ignore[no-any-return]


def write_statements(books: StatementBooks, member_ids: list[str], start: date, end: date, fmt: str, folder: str,
                     *, workers: int = 1, on_done: Any = None, engine: str = "weasyprint") -> list[str]:
    """Every member's statement into `folder`: the books read in this process (one source), the charts and the
    PDFs rendered by `workers` processes while the next members' figures are read. `on_done(path)` after each.

    With `engine="chromium"` (a PDF batch only) the workers draw the charts and HTML and one Chromium prints them
    (chromium.py): the same figures and text, not the same bytes, as WeasyPrint's."""
    check_period(start, end)
    if fmt == "pdf" and engine == "chromium":
        return _write_with_chromium(books, member_ids, start, end, folder, workers, on_done)
    paths: list[str] = []
    if workers <= 1:
        import gc

        thresholds = gc.get_threshold()
        for_a_batch()
        try:
            for member_id in member_ids:
                path = statement_file(statement_data(books, member_id, start, end), fmt, folder)
                paths.append(path)
                if on_done is not None:
                    on_done(path)
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
        return paths
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    # Forked workers start at once, with the templates and fonts loaded, and render only.
    context = multiprocessing.get_context("fork")
    pending: set[Future[str]] = set()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start,
                             initargs=(books.store,)) as pool:
        for member_id in member_ids:
            pending.add(pool.submit(statement_file, statement_data(books, member_id, start, end), fmt, folder))
            if len(pending) >= 4 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    paths.append(future.result())
                    if on_done is not None:
                        on_done(paths[-1])
        for future in pending:
            paths.append(future.result())
            if on_done is not None:
                on_done(paths[-1])
    return sorted(paths)
