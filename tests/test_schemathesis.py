"""Generated requests from /api/openapi.json against the real app: no request ever gets a 500."""

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from masthead.web.app import create_app

SMALL_SOURCES = Path(__file__).parent / "data" / "sources-small.yaml"
_TMP = tempfile.mkdtemp(prefix="masthead-schemathesis-")
APP = create_app({"SOURCES": str(SMALL_SOURCES), "DB": str(Path(_TMP) / "corpus.db"), "TESTING": True})
SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors(label):
    operation = OPERATIONS[label]

    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(operation.as_strategy())
    def check(case):
        response = case.call()
        assert response.status_code < 500, (case.path, case.query, response.text[:300])
        if response.status_code != 304:
            headers = {k.lower(): (v[0] if isinstance(v, list) else v) for k, v in response.headers.items()}
            assert headers["content-type"].startswith(("application/json", "text/html", "text/csv")), headers

    check()
