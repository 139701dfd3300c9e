"""The log page: the CLI's selection, paged by position, for the staff who read the books."""

from __future__ import annotations

import re

import orjson
import pytest

from cli.invoke import run
from tests.web.conftest import login


def positions(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr id="p([0-9]+)">', html)]


@pytest.mark.parametrize("role", ["clerk", "treasurer", "auditor", "board"])
def test_the_log_page_shows_the_first_fifty_events_to_every_reader(examples, client, role):
    login(client, role)
    response = client.get("/log")
    assert response.status_code == 200
    assert positions(response.text) == list(range(1, 51))


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 404)])
def test_the_log_page_is_refused_to_admins_and_members(examples, client, role, status):
    login(client, role, member="alice" if role == "member" else None)
    assert client.get("/log").status_code == status


def test_the_log_paginates_forwards_and_back_by_position(examples, client):
    login(client, "clerk")
    first = client.get("/log")
    link = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = client.get(link)
    assert positions(second.text) == list(range(51, 101))
    back = re.search(r'rel="prev" href="([^"]+)"', second.text).group(1).replace("&amp;", "&")
    assert positions(client.get(back).text) == list(range(1, 51))
    assert 'rel="prev"' not in first.text


def test_the_log_filters_as_mutual_log_does(examples, client):
    login(client, "auditor")
    response = client.get("/log", params={"member": "alice", "type": "PaymentReceived", "date_from": "2020-01-01",
                                          "date_to": "2020-12-31"})
    assert response.status_code == 200
    ran = run(examples.url, ["log", "--member", "alice", "--type", "PaymentReceived", "--from", "2020-01-01",
                             "--to", "2020-12-31", "--json"])
    expected = [e["position"] for e in orjson.loads(ran.stdout)]
    assert expected and positions(response.text) == expected[:50]


@pytest.mark.parametrize(("params", "field"), [({"type": "NoSuchEvent"}, "type"), ({"date_from": "2020-13-01"},
                                                "date_from"), ({"after": "-1"}, "after"),
                                               ({"member": "nobody"}, "member")])
def test_a_bad_log_filter_names_the_field(examples, client, params, field):
    login(client, "clerk")
    response = client.get("/log", params=params)
    assert response.status_code in (400, 404)
    assert field in response.text
