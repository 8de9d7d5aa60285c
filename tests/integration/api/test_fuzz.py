"""A bounded schemathesis run over the whole OpenAPI schema against the live service:
no answer is a 500, and every answer matches the schema (status code, content type,
body). Runs on SQLite and PostgreSQL with an administrator's token, so requests get
past authentication and reach the services; the routes that would end that token
(disable, role change) are fuzzed as the auditor, who is refused, and logout as the
planner, whose token is not used again."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Argon2 makes each login take most of a second: fewer examples there.
EXAMPLES = int(os.environ.get("STORENET_FUZZ_EXAMPLES", "12"))
AS_USER = {
    "/auth/logout": "planner",
    "/users/{user_id}/disable": "auditor",
    "/users/{user_id}/role": "auditor",
}


def _fuzz(operation, base_url: str, headers: dict, examples: int) -> None:  # type: ignore[no-untyped-def]
    """Send `examples` generated requests to `operation`; raise on the first failure."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_the_schema_fuzzed_gives_no_server_error_and_no_schema_violation(api):
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        user = AS_USER.get(operation.path, "admin")
        headers = {"Authorization": f"Bearer {api.tokens[user]}"}
        examples = 3 if operation.path == "/auth/login" else EXAMPLES
        try:
            _fuzz(operation, api.url, headers, examples)
        except Exception as error:  # collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
