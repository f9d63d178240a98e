"""API fuzzing: schemathesis generates requests from /api/v1/openapi.json for every operation
(schema-valid ones, and schema-violating ones) and sends them in process (WSGI, no network) with
an administrator's token and with a team rep's token. Every answer must be no server error, with
a status code, content type and body the schema documents.

Bounded: EXAMPLES cases per operation and mode, derandomised (the same cases on every run).
The run's figures (operations, requests, failures) are printed (pytest -s) and asserted."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kith.identity.services import api_token_create

EXAMPLES = int(os.environ.get("KITH_FUZZ_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Writes that would lock the fuzzer out of the rest of the run (revoking its own token,
# deactivating or demoting its users); their reads are fuzzed, and their own tests cover them.
SKIP = {
    ("DELETE", "/api/v1/tokens/{token_id}"),
    ("PATCH", "/api/v1/admin/users/{user_id}"),
    ("POST", "/api/v1/admin/users/{user_id}/password"),
}


@pytest.fixture
def in_process():
    """Requests through the WSGI handler keep the test's connection (and its transaction), as
    Django's test client does: no closing of "old" connections at each request's end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_api_does_what_its_schema_says(users, records, capsys, in_process):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    tokens = {
        name: api_token_create(user=user, name="fuzz")[1]
        for name, user in (("admin", users.admin), ("rep", users.rep_a))
    }
    failures: dict[str, str] = {}
    requests: Counter[str] = Counter()
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                for who, secret in tokens.items():
                    response = case.call(headers={"Authorization": f"Bearer {secret}"})
                    requests[who] += 1
                    case.validate_response(response, checks=CHECKS)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # one per operation and mode will do
                failures[f"{operation.label} [{mode.value}]"] = str(exc)[:1500]
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nschemathesis: {operations} operations, {sum(requests.values())} requests "
            f"({dict(requests)}), {len(failures)} failing, {elapsed:.0f} s"
        )
        for label, message in failures.items():
            print(f"--- {label}\n{message}\n")
    assert failures == {}
