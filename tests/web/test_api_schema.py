"""The OpenAPI schema documents every route the API makes from the CLI: each option of each command, its type, whether
it is required, and the command's help; the commands and options it leaves out are named with a reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from web.api_spec import API_ROLES, EXCLUDED_COMMANDS, EXCLUDED_OPTIONS, api_commands


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    from web.app import create_app

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('schema') / 'l.db'}", secret=b"s" * 32)
    with TestClient(app) as client:
        answer = client.get("/api/openapi.json")
        assert client.get("/api/docs").status_code == 200
    assert answer.status_code == 200
    return answer.json()


def _documented(operation: dict, schema: dict | None = None) -> dict[str, dict]:
    """An operation's parameters and JSON body fields; a body given by `$ref` (a route with a declared body model,
    such as /api/approvals/{id}/reject) is looked up in the schema's components."""
    fields = {p["name"]: {**p["schema"], "required": p["required"], "description": p.get("description", "")}
              for p in operation.get("parameters", []) if p["in"] != "header"}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body and "$ref" in body and schema is not None:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    if body and "properties" in body:
        for name, prop in body["properties"].items():
            fields[name] = {**prop, "required": name in body.get("required", [])}
    return fields


@pytest.mark.parametrize("spec", api_commands(), ids=lambda s: s.name)
def test_every_option_of_every_command_is_in_the_schema(schema, spec):
    method = "get" if spec.query else "post"
    operation = schema["paths"][spec.route][method]
    documented = _documented(operation)
    for field in spec.fields:
        if field.name == spec.upload:
            assert "requestBody" in operation
            continue
        assert field.name in documented, f"{spec.name}: {field.name}"
        assert documented[field.name]["required"] == (field.required or field in spec.path_arguments)
    for param in spec.command.params:
        if not any(o in EXCLUDED_OPTIONS or o == "-o" or o == "--format" for o in param.opts):
            assert any(f.param is param for f in spec.fields), f"{spec.name}: {param.opts} left out unsaid"
    assert spec.help.splitlines()[0] in operation["description"]
    assert ", ".join(API_ROLES[spec.name]) in operation["description"]


def test_the_schema_gives_dates_amounts_ids_and_choices_their_types(schema):
    receive = _documented(schema["paths"]["/api/payment/receive"]["post"])
    assert receive["on"]["format"] == "date" and receive["on"]["required"]
    assert receive["amount"]["type"] == "string" and receive["amount"]["format"] == "amount"
    assert receive["member_id"]["format"] == "id"
    assert receive["dry_run"]["type"] == "boolean" and not receive["dry_run"]["required"]
    show = _documented(schema["paths"]["/api/member/show/{member_id}"]["get"])
    assert show["as_known_at"]["format"] == "date-time"
    assert "clt" in _documented(schema["paths"]["/api/society/register"]["post"])["kind"]["enum"]
    assert _documented(schema["paths"]["/api/log"]["get"])["tail"]["type"] == "integer"


def test_the_commands_left_out_have_no_route(schema):
    paths = set(schema["paths"])
    for name in EXCLUDED_COMMANDS:
        assert not any(p == "/api/" + name.replace(" ", "/") or p.startswith("/api/" + name.replace(" ", "/") + "/")
                       for p in paths), name
    assert not any(o in ("output", "actor", "json", "witness") for route in schema["paths"].values()
                   for op in route.values() for o in _documented(op, schema))


def test_every_route_admits_exactly_the_roles_api_roles_names():
    from fastapi.routing import APIRoute

    from web.api import router

    routes = {route.path: route for route in router.routes if isinstance(route, APIRoute)}
    for spec in api_commands():
        route = routes[spec.route]
        roles = {getattr(dep.call, "roles", None) for dep in route.dependant.dependencies} - {None}
        assert roles == {API_ROLES[spec.name]}, spec.name
        assert ("csrf_checked" in {getattr(d.call, "__name__", "") for d in route.dependant.dependencies}) \
            == (not spec.query), spec.name


def test_a_member_may_ask_only_about_themselves_and_writes_are_for_clerks_and_treasurers():
    member_may = sorted(name for name, roles in API_ROLES.items() if "member" in roles)
    assert member_may == ["arrangement show", "member show", "savings show"]
    for spec in api_commands():
        if not spec.query:
            assert set(API_ROLES[spec.name]) <= {"clerk", "treasurer", "auditor"}, spec.name
        assert "admin" not in API_ROLES[spec.name]
