"""One ledger per backend holding the examples, shared by an API test module's read-only tests (one import each)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BACKENDS, Backend, _new_backend

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module", params=BACKENDS)
def shared_books(request, tmp_path_factory) -> Iterator[Backend]:
    backend = _new_backend(request.param, tmp_path_factory.mktemp("api-books"))
    store = backend.store()
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        store.import_lines((EXAMPLES / name).read_bytes().splitlines())
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def shared_client(shared_books) -> Iterator[TestClient]:
    from web.app import create_app

    app = create_app(shared_books.url, secret=b"test-secret-not-for-production-use-0000")
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    app.state.store.engine.dispose()
