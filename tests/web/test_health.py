"""`GET /health`: for a load balancer, whether a server process has read its books ahead; nothing else, to anyone."""

from __future__ import annotations

from web.app import _warm


def test_health_says_only_whether_the_books_are_read_ahead_and_needs_no_login(examples, app, client):
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "books_read_ahead": False, "read_ahead": "not started"}
    _warm(lambda store: 5, app)
    assert client.get("/health").json() == {"status": "ok", "books_read_ahead": True, "read_ahead": "done"}


def test_a_read_ahead_that_failed_is_said_to_have_failed_never_done(examples, app, client, caplog):
    def fails(store):
        raise RuntimeError("the disk went away")

    _warm(fails, app)
    assert client.get("/health").json() == {"status": "ok", "books_read_ahead": False, "read_ahead": "failed"}
    assert "reading the books ahead failed" in caplog.text


def test_reading_ahead_fills_the_window_the_pages_then_read(examples, app, client):
    from projections.documents.statement import StatementBooks
    from projections.warm import warm_books

    held = warm_books(app.state.store)
    assert held > 0
    books = StatementBooks.open(app.state.store, None, shared=True)
    assert "member-alice" in books.source.window.raw and "society-riverside" in books.source.window.raw
