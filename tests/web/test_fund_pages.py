"""The fund's pages: who may read them, and figures that are the CLI's own."""

from __future__ import annotations

import orjson
import pytest

from cli.invoke import run
from tests.web.conftest import charts_on, login

READERS = ("clerk", "treasurer", "auditor", "board")


def cli(backend, *argv):
    ran = run(backend.url, [*argv, "--json"])
    assert ran.ok, ran.error
    return orjson.loads(ran.stdout)


@pytest.mark.parametrize("role", READERS)
def test_the_fund_page_shows_the_liquidity_the_cli_shows_to_every_reader(examples, client, role):
    from projections.documents.render import money

    login(client, role)
    response = client.get("/fund", params={"as_of": "2009-12-31", "years": "3"})
    assert response.status_code == 200, response.text
    report = cli(examples, "fund", "show", "app6", "--as-of", "2009-12-31")
    assert money(report["liquidity"]) in response.text
    (chart,) = charts_on(response.text)
    assert chart[0]["title"] == "Fund app6: liquidity forecast (pounds)" and "r01-1" in response.text
    forecast = cli(examples, "fund", "forecast", "app6", "--years", "3", "--as-of", "2009-12-31")
    assert chart[0]["lines"][0]["values"] == [year["fund_balance"] for year in forecast["years"]]


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 404)])
def test_the_fund_page_is_refused_to_admins_and_members(examples, client, role, status):
    login(client, role, member="r01" if role == "member" else None)
    assert client.get("/fund").status_code == status
    assert client.get("/fund/loans/r01-1").status_code == status
    assert client.get("/fund/quote").status_code == status


def test_a_saver_page_shows_the_balances_the_cli_shows(examples, client):
    from projections.documents.render import money

    login(client, "clerk")
    response = client.get("/fund/savers/r01", params={"as_of": "2008-06-30"})
    assert response.status_code == 200
    data = cli(examples, "savings", "show", "r01", "--as-of", "2008-06-30")
    assert money(data["savings"]) in response.text


def test_a_member_may_see_their_own_saver_page_and_no_one_elses(examples, client):
    login(client, "member", member="r01")
    assert client.get("/fund/savers/r01").status_code == 200
    response = client.get("/fund/savers/r02")
    assert response.status_code == 404 and "r02" not in response.text.split("<main>")[1]


def test_a_loan_page_shows_what_loan_show_shows(examples, client):
    login(client, "board")
    response = client.get("/fund/loans/r01-2", params={"as_of": "2008-06-30"})
    assert response.status_code == 200
    data = cli(examples, "loan", "show", "r01-2", "--as-of", "2008-06-30")
    assert f">{data['outstanding']}<" in response.text


def test_a_loan_quote_shows_the_contract_and_draws_its_points_curve(examples, client):
    from projections.documents.render import money

    login(client, "treasurer")
    response = client.get("/fund/quote", params={"amount": "1200.00", "months": "12", "points": "5000",
                                                 "on": "2025-01-01"})
    assert response.status_code == 200, response.text
    data = cli(examples, "loan", "quote", "--amount", "1200.00", "--months", "12", "--points", "5000",
               "--on", "2025-01-01")
    assert money(data["monthly_total"]) in response.text
    (chart,) = charts_on(response.text)
    assert "Points curve" in response.text and chart[0]["pounds"] is False
    assert chart[0]["lines"][0]["values"] == [month["closing"] for month in data["points_curve"]]


def test_a_quote_with_a_bad_amount_names_the_field(examples, client):
    login(client, "clerk")
    response = client.get("/fund/quote", params={"amount": "12.345", "months": "12"})
    assert response.status_code == 400
    assert "--amount" in response.text


def test_a_saver_or_loan_id_that_looks_like_an_option_is_refused_naming_it(examples, client):
    login(client, "clerk")
    assert "holder:" in client.get("/fund/savers/--help").text
    assert client.get("/fund/loans/--json").status_code == 400


def test_a_loan_or_saver_the_books_do_not_hold_is_a_404_as_the_api_answers(examples, client):
    """The pages once answered 400 where the API answers 404 for the same lookup."""
    login(client, "board")
    for path, api in (("/fund/loans/nobody", "/api/loan/show/nobody"),
                      ("/fund/savers/nobody", "/api/savings/show/nobody")):
        page, answer = client.get(path), client.get(api)
        assert page.status_code == answer.status_code == 404, (path, page.text)
