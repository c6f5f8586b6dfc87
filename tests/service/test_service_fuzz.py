"""Schemathesis fuzzes every endpoint from the OpenAPI document: generated and broken
requests alike get no 5xx answer, a documented status and content type, and a body that
matches its schema. Bounded (a few examples per operation) so the suite stays fast."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 5


@pytest.fixture
def schema(make_client):
    app = make_client(max_jobs=1).app  # the running application: its lifespan stays open
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_operation_survives_generated_requests(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # the reader found the routes
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(checks=CHECKS)

        call()
