"""`kith worker` runs the tasks waiting in the database queue."""

from __future__ import annotations

import pytest
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from typer.testing import CliRunner

from kith.cli.app import app

# The worker closes connections that are inside a transaction, as the test's own would be.
pytestmark = pytest.mark.django_db(transaction=True)


@task()
def add(a: int, b: int) -> int:
    return a + b


def test_worker_batch_runs_waiting_tasks_then_exits():
    waiting = add.enqueue(2, 3)

    result = CliRunner().invoke(app, ["worker", "--batch"])

    assert result.exit_code == 0, result.output
    done = DBTaskResult.objects.get(pk=waiting.id)
    assert done.status == "SUCCESSFUL"
    assert done.return_value == 5
