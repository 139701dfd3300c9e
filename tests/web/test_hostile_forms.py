"""Hostile input to every HTML form, through HTTP (issue 14 item 5): the CLI's hostile-input families
(tests/integration/test_hostile_input.py, tests/e2e/test_cli_hygiene.py) — a new line, a NUL, bytes that are not
UTF-8, a 1 MB value, an option-looking value, a bad position, a date that is not one, a missing CSRF token and
another session's — each give a clear error naming the field (400/403/422, never 500, never a traceback) and write
nothing: the log's head, and every table beside it (users, proposals, bank lines, checkpoints, people), are as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from sqlalchemy import func, inspect, select, table, text

from web.deps import Viewer

pytest_plugins = ["tests.web.api_books"]  # shared_books, shared_client: one examples import per backend

NOT_WRITES = ("user_sessions", "login_failures", "alembic_version")  # a login's own bookkeeping, not the books
WHOLE = ("users", "proposals", "people", "bank_payees")  # compared row by row (a role change updates a row)


def snapshot(backend) -> dict[str, Any]:
    """The log's head, every row of the users, proposals, people and payees, and the row count of every other
    table beside the chain."""
    engine = backend.store().engine
    out: dict[str, Any] = {"head": backend.store().head()}
    with engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            if name in WHOLE:
                out[name] = sorted(repr(tuple(row)) for row in connection.execute(select(text("*")).select_from(
                    table(name))))
            elif name not in NOT_WRITES:
                out[name] = connection.execute(select(func.count()).select_from(table(name))).scalar()
    return out


TEXT = {  # the families of a free-text or id field
    "a new line": "riverside\nforged line",
    "a NUL": "river\x00side",
    "bytes that are not UTF-8": b"river\xff\xfeside",
    "a 1 MB value": "x" * 1_000_000,
    "an option-looking value": "--actor=mallory",
}
DATA_TEXT = {k: v for k, v in TEXT.items() if k != "an option-looking value"}
"""A reason kept as data (a rejection's, a disabling's), never put on a command line: '--actor=x' is just text."""
B4_OWNS: set[tuple[str, str, str]] = set()  # (the two found here, reject and disable reasons not UTF-8, are fixed)
"""Found here, reported to the lead: web/pages/approvals.py and web/pages/users.py are B4's (U+FFFD is recorded)."""
POSITION = {"a negative position": "-3", "position zero": "0", "a huge position": "9" * 40,
            "a position in words": "twelve", "a NUL": "1\x00", "bytes that are not UTF-8": b"1\xff"}
DATE = {"a date that is not one": "2024-02-30", "a date in words": "yesterday", "a date with a new line":
        "2024-01-31\n2024-02-01", "an option-looking date": "--actor=mallory"}

FORMS: dict[str, tuple[str, dict[str, Any], dict[str, dict[str, Any]]]] = {
    # form -> (role, a base form, {field: hostile families})
    "/bank/match": ("clerk", {"line": "L-1", "member": "alice", "period": "2024-01", "account": "current"},
                    {"line": TEXT, "member": TEXT, "period": {**TEXT, "a month that is not one": "2024-13"},
                     "account": TEXT}),
    "/bank/ignore": ("clerk", {"line": "L-1", "reason": "not ours", "account": "current"},
                     {"line": TEXT, "reason": TEXT}),
    "/bank/auto": ("clerk", {"account": "current"}, {"account": TEXT}),
    "/corrections": ("clerk", {"position": "12", "reason": "entered twice"},
                     {"position": POSITION, "reason": TEXT, "replacement_type": TEXT, "replacement_payload": TEXT,
                      "on": DATE}),
    "/periods": ("treasurer", {"society": "riverside", "start": "2015-01-01", "end": "2015-12-31"},
                 {"society": TEXT, "start": DATE, "end": DATE}),
    "/audit/prove": ("auditor", {"position": "12", "hash": "ab" * 32}, {"position": POSITION, "hash": TEXT}),
    "/approvals/{pid}/reject": ("treasurer", {"reason": "out of date"}, {"reason": DATA_TEXT}),
    "/users": ("admin", {"username": "newclerk", "role": "clerk", "password": "a long enough password 1"},
               {"username": TEXT, "role": TEXT, "member": TEXT, "saver": TEXT,
                "password": {k: v for k, v in TEXT.items() if k in ("a NUL", "bytes that are not UTF-8",
                                                                        "a 1 MB value")}}),
    "/users/{user}/role": ("admin", {"role": "treasurer"}, {"role": TEXT, "member": TEXT, "saver": TEXT}),
    "/users/{user}/disable": ("admin", {"reason": "left"}, {"reason": DATA_TEXT}),
}
FIELD_NAMES = {"replacement_type": ("replacement_type", "--replacement-type"),
               "replacement_payload": ("replacement_payload", "--replacement-payload")}


def cases() -> list[Any]:
    out = []
    for form, (role, base, fields) in FORMS.items():
        for field, families in fields.items():
            for family, value in families.items():
                marks = [pytest.mark.xfail(strict=True, reason="reported: B4's route records U+FFFD")] \
                    if (form, field, family) in B4_OWNS else []
                out.append(pytest.param(form, role, base, field, value, id=f"{form} {field}: {family}", marks=marks))
    return out


class Fresh:
    """A pending proposal (to reject) and a clerk user (to change or disable), new for each case that needs one, so
    a case that wrongly wrote cannot make the next one fail for another reason."""

    def __init__(self, backend, client) -> None:
        self.backend, self.client, self.made = backend, client, 0

    def proposal(self) -> str:
        from web.sessions import COOKIE

        sessions = self.client.app.state.sessions
        cookie = sessions.issue(Viewer("clerk1", "clerk"))
        self.client.cookies.clear()
        self.client.cookies.set(COOKIE, cookie)
        self.made += 1
        made = self.client.post("/api/proposals", json={"argv": ["member", "leave", "carol", "--on",
                                                                 f"2026-10-{self.made % 28 + 1:02d}"]},
                                headers={"X-CSRF-Token": sessions.csrf_token(sessions.viewer_of_cookie(cookie))})
        assert made.status_code == 202, made.text
        return made.json()["proposal"]["proposal_id"]  # type: ignore[no-any-return]

    def user(self) -> str:
        from ledger.commands.users import add_user

        self.made += 1
        add_user(self.backend.store(), f"clerk{self.made}", "clerk", "a long enough password 2", actor="test-admin")
        return f"clerk{self.made}"

    def url(self, form: str) -> str:
        if "{pid}" in form:
            form = form.replace("{pid}", self.proposal())
        return form.replace("{user}", self.user()) if "{user}" in form else form


@pytest.fixture(scope="module")
def books(shared_books, shared_client):
    return Fresh(shared_books, shared_client)


def as_role(client, role: str) -> str:
    """Log the client in as `role`; the session's CSRF token."""
    from web.sessions import COOKIE

    sessions = client.app.state.sessions
    cookie = sessions.issue(Viewer(f"hostile-{role}", role))
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie)
    return sessions.csrf_token(sessions.viewer_of_cookie(cookie))  # type: ignore[no-any-return]


def urlencoded(form: dict[str, Any]) -> bytes:
    """A form body as a browser sends it, bytes that are not UTF-8 included."""
    def part(value: Any) -> str:
        return quote_from_bytes(value if isinstance(value, bytes) else value.encode("utf-8"), safe="")

    return "&".join(f"{k}={part(v)}" for k, v in form.items()).encode("ascii")


def post(client, url: str, form: dict[str, Any]):
    return client.post(url, content=urlencoded(form), follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def shown(response) -> str:
    """The page's words without its markup, for a failure's message."""
    import re

    body = response.text.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))[:400]


def assert_refused_by_name(response, names: tuple[str, ...], before: dict[str, Any], after: dict[str, Any]):
    assert after == before, "something was written"
    assert response.status_code in (400, 403, 422), (response.status_code, shown(response))
    assert "Traceback" not in response.text and "something went wrong" not in response.text
    assert any(n in response.text for n in names), (names, shown(response))


@pytest.mark.parametrize(("form", "role", "base", "field", "value"), cases())
def test_a_hostile_value_in_a_form_is_refused_by_name_and_writes_nothing(shared_books, shared_client, books, form,
                                                                         role, base, field, value):
    url = books.url(form)
    token = as_role(shared_client, role)
    before = snapshot(shared_books)
    response = post(shared_client, url, {**base, field: value, "csrf": token})
    names = FIELD_NAMES.get(field, (field, "--" + field.replace("_", "-")))
    assert_refused_by_name(response, names, before, snapshot(shared_books))


STATEMENTS = {"bytes that are not UTF-8": b"date,amount\n2024-01-01,\xff\xfe12.00\n",
              "more than the largest upload": b"x" * (5 * 1024 * 1024 + 10), "an empty file": b""}


@pytest.mark.parametrize("content", STATEMENTS.values(), ids=list(STATEMENTS))
def test_a_hostile_bank_statement_is_refused_by_name_and_writes_nothing(shared_books, shared_client, content):
    token = as_role(shared_client, "clerk")
    before = snapshot(shared_books)
    response = shared_client.post("/bank/import", data={"account": "current", "csrf": token},
                                  files={"statement": ("statement.csv", content, "text/csv")})
    assert_refused_by_name(response, ("statement",), before, snapshot(shared_books))


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, family in (("account", TEXT), ("format", TEXT),
                                                                       ("profile", TEXT))
                                               for v in family.values()],
                         ids=[f"{f}: {k}" for f in ("account", "format", "profile") for k in TEXT])
def test_a_hostile_option_of_a_bank_import_is_refused_by_name_and_writes_nothing(shared_books, shared_client,
                                                                                 field, value):
    token = as_role(shared_client, "clerk")
    before = snapshot(shared_books)
    form = {"account": "current", "format": "auto", field: value, "csrf": token}
    files = {"statement": ("statement.csv", b"date,description,amount\n2024-01-02,RENT ALICE,660.00\n", "text/csv")}
    body_form = {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in form.items()}
    response = shared_client.post("/bank/import", data=body_form, files=files)
    assert_refused_by_name(response, (field, "--" + field), before, snapshot(shared_books))


@pytest.mark.parametrize("position", ["-1", "0", "9" * 40, "twelve"])
def test_a_hostile_proposal_id_is_refused_and_decides_nothing(shared_books, shared_client, books, position):
    token = as_role(shared_client, "treasurer")
    before = snapshot(shared_books)
    response = shared_client.post(f"/approvals/{position}/approve", data={"csrf": token}, follow_redirects=False)
    assert_refused_by_name(response, ("proposal",), before, snapshot(shared_books))


POSTS = [("/bank/match", "clerk", {"line": "L-1", "member": "alice"}), ("/bank/ignore", "clerk",
         {"line": "L-1", "reason": "x"}), ("/bank/auto", "clerk", {"account": "current"}),
         ("/corrections", "clerk", {"position": "12", "reason": "x"}),
         ("/periods", "treasurer", {"society": "riverside", "start": "2015-01-01", "end": "2015-12-31"}),
         ("/audit/prove", "auditor", {"position": "12", "hash": "ab" * 32}), ("/audit/checkpoint", "auditor", {}),
         ("/approvals/{pid}/approve", "treasurer", {}), ("/approvals/{pid}/reject", "treasurer", {"reason": "x"}),
         ("/users", "admin", {"username": "x1", "role": "clerk", "password": "a long enough password 1"}),
         ("/users/{user}/role", "admin", {"role": "treasurer"}), ("/users/{user}/disable", "admin", {"reason": "x"}),
         ("/bank/import", "clerk", {"account": "current"}), ("/logout", "clerk", {})]


@pytest.mark.parametrize(("form", "role", "base"), POSTS, ids=[p[0] for p in POSTS])
@pytest.mark.parametrize("token", ["missing", "another session's", "forged"])
def test_a_form_without_this_sessions_csrf_token_is_refused_and_writes_nothing(shared_books, shared_client, books,
                                                                               form, role, base, token):
    url = books.url(form)
    other = as_role(shared_client, role)  # a session of the same role: its token is not this one's
    as_role(shared_client, role)
    given = {"missing": {}, "another session's": {"csrf": other}, "forged": {"csrf": "0" * 64}}[token]
    before = snapshot(shared_books)
    response = post(shared_client, url, {**base, **given})
    assert response.status_code == 403 and "csrf" in response.text, response.text[-400:]
    assert snapshot(shared_books) == before


def test_the_login_form_refuses_hostile_values_without_a_server_error_and_opens_no_session(shared_books,
                                                                                           shared_client):
    from tests.web.authkit import login_form_token

    for field in ("username", "password", "next"):
        for value in TEXT.values():
            shared_client.cookies.clear()
            form = {"username": "nobody", "password": "wrong password", "next": "/", field: value,
                    "csrf": login_form_token(shared_client)}
            response = post(shared_client, "/login", form)
            assert response.status_code in (400, 401, 403, 422, 429), (field, response.status_code)
            assert "Traceback" not in response.text and "mutual_session" not in response.headers.get("set-cookie", "")
    shared_client.cookies.clear()
    refused = post(shared_client, "/login", {"username": "nobody", "password": "x"})
    assert refused.status_code == 403 and "csrf" in refused.text


AMOUNT = {"an amount of 1e400": "1e400", "NaN": "NaN", "Infinity": "Infinity", "a negative amount": "-5000",
          "an amount in words": "ten pounds", "a NUL": "5\x00", "a 1 MB amount": "9" * 1_000_000}
GETS = [  # the forms that ask (GET): (role, url, the field's name in the query, families)
    ("clerk", "/fund/quote?months=24", "amount", AMOUNT),
    ("clerk", "/fund/quote?amount=5000.00", "months", {**POSITION, "a negative number of months": "-24"}),
    ("auditor", "/log", "after", POSITION), ("auditor", "/log", "before", POSITION),
    ("auditor", "/log", "date_from", DATE), ("auditor", "/log", "type", TEXT),
    ("clerk", "/members/alice", "as_of", DATE), ("clerk", "/members/alice", "as_known_at", DATE),
    ("clerk", "/members/alice/statement?format=html", "from", DATE),
    ("clerk", "/members/alice/statement", "format", TEXT),
]


def _in_a_url(value: Any) -> Any:
    """A URL holds at most 64 KB (httpx, and uvicorn's request line, refuse more): a 1 MB value is sent as 60 KB."""
    return value[:60_000] if len(value) > 60_000 else value


def get_cases() -> list[Any]:
    return [pytest.param(role, url, field, _in_a_url(value), id=f"{url} {field}: {family}")
            for role, url, field, families in GETS for family, value in families.items()
            if not (field in ("after", "before") and family == "position zero")]  # 0 is the log's start


@pytest.mark.parametrize(("role", "url", "field", "value"), get_cases())
def test_a_hostile_value_in_a_query_form_is_refused_by_name_and_writes_nothing(shared_books, shared_client, role,
                                                                              url, field, value):
    as_role(shared_client, role)
    before = snapshot(shared_books)
    raw = quote_from_bytes(value if isinstance(value, bytes) else value.encode("utf-8"), safe="")
    response = shared_client.get(f"{url}{'&' if '?' in url else '?'}{field}={raw}", follow_redirects=False)
    assert_refused_by_name(response, (field, "--" + field.replace("_", "-")), before, snapshot(shared_books))
