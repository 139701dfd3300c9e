"""Every route of the app × every role (and no one logged in), against ONE expected table (issue 14 item 5).

The table is written by hand, per area of the back office (who reads, who writes), independently of the roles the
routes declare; `test_every_route_declares_the_roles_the_policy_gives_it` holds the declarations (`require(...)`
on each route, `API_ROLES` for the API) to it, so a route that names the wrong roles, or a new route the table has
no entry for, fails. The HTTP test then asks every route as every identity: allowed is 2xx/3xx (or 400 for a
missing or probing parameter: the role check came first), refused is 403 (a member: 404), no one logged in is a
redirect to /login for a page and 401 for the API or a POST.

Probes write nothing: a form is posted empty (refused by name), an API write gets an unknown field (refused before
anything runs), an approval an id that is not one.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
import pytest
from starlette.routing import Mount

from web.deps import Viewer

pytest_plugins = ["tests.web.api_books"]  # shared_books, shared_client: one examples import per backend

STAFF = ("clerk", "treasurer", "auditor", "board")
WRITERS = ("clerk", "treasurer")
ROLES = ("clerk", "treasurer", "auditor", "board", "member", "admin")
ANONYMOUS = "anonymous"
ANYONE = "anyone"  # no one need be logged in
LOGGED_IN = "logged in"  # any role

# --- the hand-written policy: areas, then routes -------------------------------------------------------------------

AREAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # area -> (who reads, who writes)
    "coop": (STAFF, WRITERS),  # co-ops, land trusts, members, dwellings, the accounts
    "fund": (STAFF, WRITERS),  # the savings-and-loans fund
    "people": (WRITERS, WRITERS),  # the register of people: names, addresses, bank details
    "bank": (("clerk", "treasurer", "auditor"), WRITERS),  # the bank queue (not the board's)
    "audit": (STAFF, ("auditor", "treasurer")),  # the log, the chain, proofs; checkpoints
    "corrections": (("clerk", "treasurer", "auditor"), WRITERS),  # reversals and closed periods
}
COMMAND_AREAS = {  # the API's command groups, by the first word of the command
    "accounts": "coop", "accrue": "coop", "arrangement": "coop", "arrears": "coop", "coop": "coop",
    "dividend": "coop", "dwelling": "coop", "index": "coop", "member": "coop", "mortgage": "coop", "payment": "coop",
    "policy": "coop", "record": "coop", "register": "coop", "reserve": "coop", "share": "coop", "society": "coop",
    "units": "coop", "fund": "fund", "jak": "fund", "loan": "fund", "points": "fund", "savings": "fund",
    "person": "people", "bank": "bank", "log": "audit", "audit": "audit", "verify": "audit",
    "correct": "corrections", "period": "corrections",
}
QUERIES = {  # the commands that write nothing, named by hand (the API decides by `--actor`)
    "accounts balance-sheet", "accounts income", "accounts journal", "accounts trial-balance", "arrangement show",
    "arrears", "audit", "audit checkpoints", "audit digest", "audit prove", "bank reconcile", "bank rules",
    "bank rules payees", "bank unmatched", "coop show", "dwelling show", "fund forecast", "fund releases",
    "fund show", "jak settle", "loan quote", "loan show", "log", "member show", "period list", "person show",
    "register", "savings show", "verify",
}
COMMAND_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "audit digest": ("auditor", "treasurer"),  # the digest an auditor writes down
    "audit prove": STAFF,  # a proof writes nothing: whoever reads the log
    "period close": ("treasurer",),
    "policy set approval-limit": ("treasurer",),  # the limit of four-eyes approval
    "accounts checkpoint": ("auditor", "treasurer"),  # a checkpoint of the books, as an audit checkpoint
}
MEMBER_SELF = {"member show", "arrangement show", "savings show"}  # a member asks about themselves only


def read(area: str, member: bool = False) -> tuple[str, ...]:
    return (*AREAS[area][0], *(("member",) if member else ()))


def write(area: str) -> tuple[str, ...]:
    return AREAS[area][1]


APPROVAL_READERS, DECIDERS = (*STAFF, "admin"), ("clerk", "treasurer", "board")
PAGES: dict[tuple[str, str], Any] = {
    ("GET", "/"): LOGGED_IN,
    ("GET", "/login"): ANYONE, ("POST", "/login"): ANYONE, ("POST", "/logout"): LOGGED_IN,
    ("GET", "/health"): ANYONE,
    ("GET", "/api/openapi.json"): ANYONE, ("HEAD", "/api/openapi.json"): ANYONE,
    ("GET", "/api/docs"): ANYONE, ("HEAD", "/api/docs"): ANYONE,
    ("GET", "/docs/oauth2-redirect"): ANYONE, ("HEAD", "/docs/oauth2-redirect"): ANYONE,
    ("GET", "/static"): ANYONE,
    ("GET", "/coops/{coop_id}"): read("coop"), ("GET", "/coops/{coop_id}/board-pack"): read("coop"),
    ("GET", "/dwellings/{dwelling_id}"): read("coop"), ("GET", "/societies/{society_id}/register"): read("coop"),
    ("GET", "/members/{member_id}"): read("coop", member=True),
    ("GET", "/members/{member_id}/statement"): read("coop", member=True),
    ("GET", "/fund"): read("fund"), ("GET", "/fund/loans/{loan}"): read("fund"), ("GET", "/fund/quote"): read("fund"),
    ("GET", "/fund/savers/{holder}"): read("fund", member=True),
    ("GET", "/bank"): read("bank"), ("POST", "/bank/import"): write("bank"), ("POST", "/bank/match"): write("bank"),
    ("POST", "/bank/ignore"): write("bank"), ("POST", "/bank/auto"): write("bank"),
    ("GET", "/log"): read("audit"), ("GET", "/audit"): read("audit"), ("POST", "/audit/prove"): read("audit"),
    ("POST", "/audit/checkpoint"): write("audit"),
    ("GET", "/corrections"): read("corrections"), ("POST", "/corrections"): write("corrections"),
    ("GET", "/periods"): read("corrections"), ("POST", "/periods"): ("treasurer",),
    ("GET", "/approvals"): APPROVAL_READERS, ("GET", "/api/approvals"): APPROVAL_READERS,
    ("POST", "/approvals/{proposal_id}/approve"): DECIDERS, ("POST", "/api/approvals/{proposal_id}/approve"): DECIDERS,
    ("POST", "/approvals/{proposal_id}/reject"): DECIDERS, ("POST", "/api/approvals/{proposal_id}/reject"): DECIDERS,
    ("POST", "/api/proposals"): WRITERS,
    ("GET", "/users"): ("admin",), ("POST", "/users"): ("admin",), ("POST", "/users/{username}/role"): ("admin",),
    ("POST", "/users/{username}/disable"): ("admin",),
    **{(method, "/api/{rest:path}"): LOGGED_IN for method in ("GET", "POST", "PUT", "PATCH", "DELETE")},
}
OWN = {"/members/{member_id}", "/members/{member_id}/statement", "/fund/savers/{holder}",
       "/api/member/show/{member_id}", "/api/arrangement/show/{member_id}", "/api/savings/show/{holder}"}


def command_policy(name: str, query: bool) -> tuple[str, ...]:
    """The hand-written policy for one API command: its area's readers or writers, or its exception."""
    assert (name in QUERIES) == query, f"mutual {name}: the API serves it as a {'query' if query else 'write'}"
    if name in COMMAND_EXCEPTIONS:
        return COMMAND_EXCEPTIONS[name]
    area = COMMAND_AREAS[name.split()[0]]
    return read(area, member=name in MEMBER_SELF) if query else write(area)


# --- the app's routes -----------------------------------------------------------------------------------------------


def _flat(routes: list[Any]) -> list[Any]:
    out: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps an included router as one route
        out.extend(_flat(inner.routes) if inner is not None else [route])
    return out


def app_routes() -> list[tuple[str, str, Any]]:
    """(method, path, route) for every route of the app, all methods."""
    from web.app import create_app

    app = create_app("sqlite://", secret=b"m" * 32)
    found = []
    for route in _flat(list(app.routes)):
        if isinstance(route, Mount):
            found.append(("GET", route.path, route))
            continue
        for method in sorted(route.methods):
            found.append((method, route.path, route))
    return found


ROUTES = app_routes()


def declared_roles(route: Any) -> tuple[str, ...] | None:
    """The roles a route's `require(...)` names (None: it requires none)."""
    found: list[tuple[str, ...]] = []

    def walk(dependant: Any) -> None:
        for dep in dependant.dependencies:
            if hasattr(dep.call, "roles"):
                found.append(tuple(dep.call.roles))
            walk(dep)

    if hasattr(route, "dependant"):
        walk(route.dependant)
    assert len(set(found)) <= 1, f"{route.path}: more than one role check {found}"
    return found[0] if found else None


def api_specs() -> dict[tuple[str, str], Any]:
    from web.api_spec import api_commands

    return {("GET" if spec.query else "POST", spec.route): spec for spec in api_commands()}


SPECS = api_specs()


def expected(method: str, path: str) -> Any:
    """The policy for one route: ANYONE, LOGGED_IN or the roles admitted. A route with no entry fails here."""
    if (method, path) in PAGES:
        return PAGES[(method, path)]
    spec = SPECS.get((method, path))
    assert spec is not None, f"{method} {path}: a route the authorisation table has no entry for"
    return command_policy(spec.name, spec.query)


def _id(item: tuple[str, str, Any]) -> str:
    return f"{item[0]} {item[1]}"


@pytest.mark.parametrize("item", ROUTES, ids=_id)
def test_every_route_declares_the_roles_the_policy_gives_it(item):
    from web.api_spec import API_ROLES

    method, path, route = item
    policy, declared = expected(method, path), declared_roles(route)
    if policy in (ANYONE, LOGGED_IN):
        assert declared is None, f"{method} {path}: declares {declared}, the policy says {policy}"
        return
    assert declared is not None and set(declared) == set(policy), \
        f"{method} {path}: declares {declared}, the policy says {policy}"
    spec = SPECS.get((method, path))
    if spec is not None:
        assert set(API_ROLES[spec.name]) == set(policy)


def test_the_table_names_no_route_the_app_lacks():
    routes = {(m, p) for m, p, _ in ROUTES}
    assert set(PAGES) - routes == set()
    assert {f"{m} {p}" for m, p in SPECS} <= {f"{m} {p}" for m, p in routes}


# --- asking every route as everyone ---------------------------------------------------------------------------------

MEMBER = Viewer("matrix-member", "member", "alice", saver="r01")  # alice's user, saving as r01
SAMPLES = {"coop_id": "riverside", "member_id": "alice", "dwelling_id": "flat1", "society_id": "riverside",
           "holder": "r01", "loan": "r01-1", "loan_id": "r01-1", "fund_id": "app6", "society": "riverside",
           "person_id": "p1", "proposal_id": "nope", "username": "nobody-such", "rest": "no/such"}
QUERY_PROBES = {"/coops/{coop_id}/board-pack": {"format": "nope"}, "/members/{member_id}/statement":
                {"format": "html"}, "/login": {}}


def _url(path: str, **given: str) -> str:
    if path == "/static":
        return "/static/htmx.min.js"
    return re.sub(r"\{(\w+)\}", lambda m: given.get(m.group(1), SAMPLES[m.group(1)]), path)


@pytest.fixture(scope="module")
def sessions(shared_client):
    """A session per role, issued once; the member is alice's user (saver r01)."""
    issued = shared_client.app.state.sessions
    out = {}
    for role in ROLES:
        viewer = MEMBER if role == "member" else Viewer(f"matrix-{role}", role)
        cookie = issued.issue(viewer)
        out[role] = (cookie, issued.csrf_token(issued.viewer_of_cookie(cookie)))
    return out


def ask(client, method: str, path: str, identity: str, sessions: dict[str, tuple[str, str]], **given: str):
    """One probe of a route as an identity: the request writes nothing (see the module's docstring)."""
    from web.sessions import COOKIE

    client.cookies.clear()
    headers: dict[str, str] = {}
    if identity != ANONYMOUS:
        cookie, token = sessions[identity]
        if path == "/logout":  # logging out ends the session: a fresh one for this probe
            store = client.app.state.sessions
            cookie = store.issue(MEMBER if identity == "member" else Viewer(f"matrix-{identity}", identity))
            token = store.csrf_token(store.viewer_of_cookie(cookie))
        client.cookies.set(COOKIE, cookie)
        headers["X-CSRF-Token"] = token
    url = _url(path, **given)
    if path == "/api/{rest:path}":  # an API path no command answers: 400 naming it
        return client.request(method, url, headers=headers, follow_redirects=False)
    if method in ("GET", "HEAD"):
        spec = SPECS.get(("GET", path))
        params = {"__probe": "1"} if spec is not None else QUERY_PROBES.get(path, {})
        return client.request(method, url, params=params, headers=headers, follow_redirects=False)
    if path == "/login":
        from tests.web.authkit import login_form_token

        return client.post(url, data={"csrf": login_form_token(client), "username": "x"}, follow_redirects=False)
    spec = SPECS.get(("POST", path))
    if spec is not None and spec.upload:
        return client.post(url, params={"__probe": "1"}, content=b"x", headers=headers, follow_redirects=False)
    if path.startswith("/api/"):
        return client.post(url, json={"__probe": "1"}, headers=headers, follow_redirects=False)
    form = {"csrf": headers.pop("X-CSRF-Token", "")}
    return client.post(url, data=form, headers=headers, follow_redirects=False)


def outcome(method: str, path: str, identity: str) -> str:
    """What the table expects: 'allowed', 'refused' (403), 'hidden' (404), 'login' (303 to /login) or '401'."""
    policy = expected(method, path)
    if policy == ANYONE:
        return "allowed"
    if identity == ANONYMOUS:
        return "401" if path.startswith("/api/") or method == "POST" else "login"
    if policy == LOGGED_IN or identity in policy:
        return "allowed"
    return "hidden" if identity == "member" else "refused"


def seen(response: Any, identity: str) -> str:
    status = response.status_code
    if status == 303 and response.headers.get("location", "").startswith("/login") and identity == ANONYMOUS:
        return "login"
    if 200 <= status < 400 or status == 400:
        return "allowed"
    return {403: "refused", 404: "hidden", 401: "401"}.get(status, str(status))


@pytest.mark.parametrize("item", ROUTES, ids=_id)
def test_every_route_answers_every_role_as_the_table_says(shared_client, sessions, item):
    method, path, _ = item
    wrong = {}
    for identity in (ANONYMOUS, *ROLES):
        response = ask(shared_client, method, path, identity, sessions)
        want, got = outcome(method, path, identity), seen(response, identity)
        assert response.status_code < 500 and "Traceback" not in response.text, (identity, response.text[:300])
        if got != want:
            wrong[identity] = (want, response.status_code, response.text[:160])
    assert not wrong, f"{method} {path}: {wrong}"


# --- a member and someone else's things -----------------------------------------------------------------------------

OTHERS = {"member_id": "bob", "holder": "r02"}  # bob, and another saver


def _figures(shared_books, *argv: str) -> set[str]:
    """The non-zero amounts in a CLI answer, as the JSON and as the pages print them."""
    from cli.invoke import run

    ran = run(shared_books.url, [*argv, "--json"])
    assert ran.ok, ran.error
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        elif isinstance(value, str) and re.fullmatch(r"-?[0-9]+\.[0-9]{2}", value):
            try:
                amount = Decimal(value)
            except InvalidOperation:  # pragma: no cover
                return
            if abs(amount) >= 10:
                found.update({value, f"{abs(amount):,.2f}"})

    walk(orjson.loads(ran.stdout))
    return found


def test_a_member_opens_their_own_page_statement_and_savings(shared_client, sessions):
    for path in ("/members/{member_id}", "/members/{member_id}/statement", "/fund/savers/{holder}",
                 "/api/member/show/{member_id}", "/api/arrangement/show/{member_id}", "/api/savings/show/{holder}"):
        from web.sessions import COOKIE

        shared_client.cookies.clear()
        shared_client.cookies.set(COOKIE, sessions["member"][0])
        params = {"format": "html"} if path.endswith("statement") else {}
        response = shared_client.get(_url(path), params=params, follow_redirects=False)
        assert response.status_code == 200, (path, response.text[:300])


@pytest.mark.parametrize("path", sorted(p for p in OWN), ids=str)
def test_alices_user_asking_for_someone_elses_page_gets_404_and_none_of_their_figures(shared_books, shared_client,
                                                                                     sessions, path):
    from web.sessions import COOKIE

    figures = _figures(shared_books, "member", "show", "bob") | _figures(shared_books, "savings", "show", "r02")
    for fmt in ({"format": "html"}, {"format": "pdf"}, {}):
        shared_client.cookies.clear()
        shared_client.cookies.set(COOKIE, sessions["member"][0])
        response = shared_client.get(_url(path, **OTHERS), params=fmt, follow_redirects=False)
        assert response.status_code == 404, (path, fmt, response.status_code)
        body = response.text
        assert not [f for f in figures if f in body], (path, fmt)
        assert "bob" not in body.lower() and "r02" not in body.lower()


# --- sessions: not forged, not replayed ------------------------------------------------------------------------------


def test_a_forged_or_tampered_session_cookie_opens_nothing(shared_client, sessions):
    from web.sessions import COOKIE

    good = sessions["treasurer"][0]
    forged = [good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"), "x" * len(good), good + "x", "",
              "treasurer", good.split(".")[0]]
    for cookie in forged:
        shared_client.cookies.clear()
        shared_client.cookies.set(COOKIE, cookie)
        page = shared_client.get("/log", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login"), cookie
        assert shared_client.get("/api/verify").status_code == 401


def test_a_session_cookie_replayed_after_logout_opens_nothing(shared_client):
    from web.sessions import COOKIE

    issued = shared_client.app.state.sessions
    cookie = issued.issue(Viewer("matrix-replay", "auditor"))
    token = issued.csrf_token(issued.viewer_of_cookie(cookie))
    shared_client.cookies.clear()
    shared_client.cookies.set(COOKIE, cookie)
    assert shared_client.get("/log").status_code == 200
    assert shared_client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    shared_client.cookies.clear()
    shared_client.cookies.set(COOKIE, cookie)  # the old cookie, kept by an attacker
    page = shared_client.get("/log", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert shared_client.get("/api/verify").status_code == 401
    assert shared_client.post("/audit/checkpoint", data={"csrf": token}).status_code == 401
