"""Generated requests from /api/openapi.json against the real app: no request ever gets a 500.

The app and its temp directory are built when the test runs, not when the module is imported.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from servers import SMALL_SOURCES


def test_no_operation_answers_a_server_error(tmp_path):
    from masthead.web.app import create_app

    app = create_app({"SOURCES": str(SMALL_SOURCES), "DB": str(tmp_path / "corpus.db"), "TESTING": True,
                      "CONFIG_DIR": str(tmp_path / "config")})
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20  # every documented route is exercised
    failures = []
    for operation in operations:
        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(operation.as_strategy())
        def check(case):
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])
            if response.status_code != 304:
                headers = {k.lower(): (v[0] if isinstance(v, list) else v) for k, v in response.headers.items()}
                assert headers["content-type"].startswith(("application/json", "text/html", "text/csv")), headers

        try:
            check()
        except AssertionError as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n".join(failures)
