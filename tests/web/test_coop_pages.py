"""The co-op's pages show the CLI's own figures (`mutual ... --json` for the same dates), to whom they may.

Figures are compared as a page shows them (the `money` filter: £1,828.74) with what the CLI prints for the same
`as_of` and `as_known_at`, on the ten-year example (co-op riverside: alice, bob who left, carol, dan).
"""

from __future__ import annotations

import json
from decimal import Decimal

from cli.invoke import run
from ledger.clock import format_recorded_at
from projections.documents.render import money
from projections.head import head_known_at
from tests.web.conftest import charts_on, login

AS_OF = "2025-03-31"
STAFF = ("clerk", "treasurer", "auditor", "board")
COOP_PAGES = ("/coops/riverside", "/dwellings/flat1", "/societies/riverside/register")


def cli_json(url: str, *argv: str) -> dict:
    ran = run(url, [*argv, "--json"])
    assert ran.ok, ran.error
    return json.loads(ran.stdout)


def shown(value: str) -> str:
    return money(Decimal(value))


def test_every_staff_role_reads_the_dashboard_with_the_figures_coop_show_prints(examples, app, client):
    coop = cli_json(examples.url, "coop", "show", "riverside", "--as-of", AS_OF)
    alice = cli_json(examples.url, "member", "show", "alice", "--as-of", AS_OF)
    for role in STAFF:
        login(client, role)
        page = client.get(f"/coops/riverside?as_of={AS_OF}")
        assert page.status_code == 200, (role, page.text)
        for key in ("debt", "reserve", "arrears", "members_debt_shares", "top_up_loans"):
            assert shown(coop[key]) in page.text, key
        assert f'<span class="value">{coop["member_count"]}</span>' in page.text
        assert shown(alice["gross_equity"]) in page.text and shown(alice["debt_share"]) in page.text
        for member in coop["members"]:
            assert f'href="/members/{member}?as_of={AS_OF}"' in page.text
        for dwelling in coop["dwellings"]:
            assert f'href="/dwellings/{dwelling}?as_of={AS_OF}"' in page.text


def test_every_staff_role_reads_every_coop_page(examples, app, client):
    for role in STAFF:
        login(client, role)
        for path in (*COOP_PAGES, "/members/alice", "/members/bob"):
            page = client.get(f"{path}?as_of={AS_OF}")
            assert page.status_code == 200, (role, path, page.text)
            assert 'id="page-figures"' in page.text and "drawn from chain head" in page.text


def test_a_members_page_shows_the_figures_member_show_prints_with_the_equity_chart(examples, app, client):
    alice = cli_json(examples.url, "member", "show", "alice", "--as-of", AS_OF)
    login(client, "member", member="alice")
    page = client.get(f"/members/alice?as_of={AS_OF}")
    assert page.status_code == 200, page.text
    for key in ("gross_equity", "debt_share", "payout_if_leaving", "arrears", "dwelling_value", "unit_value",
                "deposit", "annual_payment"):
        assert shown(alice[key]) in page.text, key
    (chart,) = charts_on(page.text)  # the statement's own chart, for the browser to draw
    equity, unit = chart
    assert equity["title"] == "Equity and debt share (pounds)" and equity["pounds"] is True
    assert [line["label"] for line in equity["lines"]] == ["gross equity", "debt share"]
    assert equity["days"][0] == alice["admitted_on"] and equity["days"][-1] == AS_OF  # since admission
    assert equity["lines"][0]["values"][-1] == alice["gross_equity"]  # the month end is the page's date
    assert equity["lines"][1]["values"][-1] == alice["debt_share"]
    assert unit["title"] == "Unit value (pounds per unit)" and unit["lines"][0]["values"][-1] == alice["unit_value"]
    assert len(equity["days"]) == len(equity["lines"][0]["values"]) == len(unit["lines"][0]["values"])
    assert '<script src="/static/charts.js" defer></script>' in page.text
    explained = "Below zero: your debt share has grown, with inflation or interest, by more than your payments"
    assert (explained in page.text) == alice["payout_detail"]["principal_repaid"].startswith("-")
    assert '<input type="date" name="as_of" value="2025-03-31"' in page.text
    assert "/members/alice/statement?from=2025-01-01&amp;to=2025-03-31&amp;format=pdf" in page.text
    assert "3 March 2025" in page.text and "£718.85" in page.text  # this year's payments, as the statement lists them


def test_a_members_page_moves_with_its_as_of_date(examples, app, client):
    earlier = cli_json(examples.url, "member", "show", "alice", "--as-of", "2020-06-30")
    login(client, "treasurer")
    page = client.get("/members/alice?as_of=2020-06-30")
    assert page.status_code == 200
    assert shown(earlier["gross_equity"]) in page.text and shown(earlier["debt_share"]) in page.text
    later = cli_json(examples.url, "member", "show", "alice", "--as-of", AS_OF)
    assert earlier["gross_equity"] != later["gross_equity"] and shown(later["gross_equity"]) not in page.text


def test_a_member_sees_their_own_page_and_not_another_members(examples, app, client):
    bob = cli_json(examples.url, "member", "show", "bob", "--as-of", "2021-06-30")
    login(client, "member", member="alice")
    assert client.get(f"/members/alice?as_of={AS_OF}").status_code == 200
    other = client.get("/members/bob?as_of=2021-06-30")
    assert other.status_code == 404
    assert shown(bob["gross_equity"]) not in other.text and "bob" not in other.text.split("<main>")[1]
    assert client.get("/members/no-such-member").status_code == 404  # the same answer: nothing learned


def test_a_member_may_not_see_a_coop_dashboard_dwellings_or_the_register(examples, app, client):
    login(client, "member", member="alice")
    for path in COOP_PAGES:
        assert client.get(f"{path}?as_of={AS_OF}").status_code == 404, path


def test_an_admin_reads_none_of_the_books(examples, app, client):
    login(client, "admin")
    for path in (*COOP_PAGES, "/members/alice"):
        assert client.get(f"{path}?as_of={AS_OF}").status_code == 403, path


def test_a_dwelling_page_shows_the_figures_dwelling_show_prints(examples, app, client):
    flat2 = cli_json(examples.url, "dwelling", "show", "flat2", "--as-of", AS_OF)
    login(client, "board")
    page = client.get(f"/dwellings/flat2?as_of={AS_OF}")
    assert page.status_code == 200
    for key in ("value", "unit_value", "occupant_debt_share", "charges_budget"):
        assert shown(flat2[key]) in page.text, key
    assert f'href="/members/{flat2["occupant"]}?as_of={AS_OF}"' in page.text
    assert "1 October 2021" in page.text  # the lease assigned from bob to dan


def test_the_register_shows_who_may_vote_as_register_prints_it(examples, app, client):
    register = cli_json(examples.url, "register", "riverside", "--as-of", AS_OF)
    login(client, "auditor")
    page = client.get(f"/societies/riverside/register?as_of={AS_OF}")
    assert page.status_code == 200
    assert shown(register["share_capital"]) in page.text
    voters = len(register["voting_members"])
    assert f'<span class="label">May vote</span><span class="value">{voters}</span>' in page.text
    bob = next(r for r in register["members"] if r["member"] == "bob")
    assert not bob["may_vote"] and "1 October 2021" in page.text


def test_as_known_at_before_a_later_event_shows_the_earlier_figures(examples, app, client):
    before = format_recorded_at(head_known_at(examples.store(), None).recorded_at)
    ran = run(examples.url, ["dwelling", "revalue", "flat1", "--value", "200000", "--on", "2025-03-15",
                             "--actor", "test-clerk"])
    assert ran.ok, ran.error
    then = cli_json(examples.url, "member", "show", "alice", "--as-of", AS_OF, "--as-known-at", before)
    now = cli_json(examples.url, "member", "show", "alice", "--as-of", AS_OF)
    assert then["gross_equity"] != now["gross_equity"]
    login(client, "auditor")
    old = client.get("/members/alice", params={"as_of": AS_OF, "as_known_at": before})
    new = client.get("/members/alice", params={"as_of": AS_OF})
    assert old.status_code == new.status_code == 200
    assert shown(then["gross_equity"]) in old.text and "£181,000.00" in old.text and "£200,000.00" not in old.text
    assert shown(now["gross_equity"]) in new.text and "£200,000.00" in new.text
    dashboard = client.get("/coops/riverside", params={"as_of": AS_OF, "as_known_at": before})
    assert "£181,000.00" in dashboard.text and f"as_known_at={before.replace(':', '%3A')}" in dashboard.text


def test_a_bad_as_of_is_refused_naming_as_of(examples, app, client):
    login(client, "clerk")
    for path in (*COOP_PAGES, "/members/alice"):
        page = client.get(f"{path}?as_of=2025-02-30")
        assert page.status_code == 400 and "as_of" in page.text, path
        assert "Traceback" not in page.text
    assert client.get("/members/alice?as_known_at=yesterday").status_code == 400


def test_an_unknown_member_dwelling_or_society_is_not_found_with_the_ledgers_message(examples, app, client):
    login(client, "clerk")
    ran = run(examples.url, ["member", "show", "zed"])
    assert not ran.ok
    page = client.get("/members/zed")
    assert page.status_code == 404 and ran.error in page.text
    assert client.get("/dwellings/nowhere").status_code == 404
    assert client.get("/coops/nowhere").status_code == 404
    early = client.get("/members/alice?as_of=2014-01-01")  # before she was admitted: the ledger says so
    assert early.status_code == 404 and "not yet admitted" in early.text


def test_the_date_picker_is_a_plain_get_form_that_htmx_swaps_in_place(examples, app, client):
    login(client, "member", member="alice")
    page = client.get(f"/members/alice?as_of={AS_OF}")
    form = page.text.split('<form class="when"')[1].split("</form>")[0]
    assert 'method="get"' in form and 'action="/members/alice"' in form and 'name="as_of"' in form
    assert 'hx-select="#page-figures"' in form and 'hx-target="#page-figures"' in form
    assert page.text.count('id="page-figures"') == 1
    htmx = client.get("/members/alice?as_of=2020-06-30&as_known_at=", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'id="page-figures"' in htmx.text


def test_months_unpaid_show_as_arrears_on_the_dashboard_and_by_month_on_the_members_page(examples, app, client):
    ran = run(examples.url, ["accrue", "--through", "2025-05-31", "--actor", "test-clerk"])
    assert ran.ok, ran.error
    arrears = cli_json(examples.url, "arrears", "--coop", "riverside", "--as-of", "2025-05-31")
    carol = next(m for m in arrears["members"] if m["member"] == "carol")
    login(client, "clerk")
    dashboard = client.get("/coops/riverside?as_of=2025-05-31")
    assert shown(arrears["outstanding"]) in dashboard.text and carol["months_in_arrears"] in dashboard.text
    for bucket, total in arrears["buckets"].items():
        assert f"{bucket} days" in dashboard.text and shown(total) in dashboard.text
    login(client, "member", member="carol")
    page = client.get("/members/carol?as_of=2025-05-31")
    assert "April 2025" in page.text and "May 2025" in page.text
    assert shown(carol["outstanding"]) in page.text


def test_a_member_who_saves_in_the_fund_sees_their_savings_and_a_link_to_the_fund_page(examples, app, client):
    opened = ["savings", "open", "alice-jak", "--fund", "app6", "--holder", "alice", "--kind", "jak",
              "--on", "2024-01-01"]
    deposited = ["savings", "deposit", "alice-jak", "--amount", "1200.00", "--on", "2024-01-15"]
    for argv in (opened, deposited):
        ran = run(examples.url, [*argv, "--actor", "test-clerk"])
        assert ran.ok, ran.error
    saver = cli_json(examples.url, "savings", "show", "alice", "--as-of", AS_OF)
    login(client, "member", member="alice")
    page = client.get(f"/members/alice?as_of={AS_OF}")
    assert "Your savings in the fund" in page.text and shown(saver["savings"]) in page.text
    assert f'href="/fund/savers/alice?as_of={AS_OF}"' in page.text
    assert page.text.count("Savings points") == 2  # the row, and the points panel the statement's chart gains
    login(client, "member", member="carol")
    assert "Your savings in the fund" not in client.get(f"/members/carol?as_of={AS_OF}").text
