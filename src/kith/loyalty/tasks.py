"""The nightly loyalty jobs: point expiry and tier re-evaluation."""

from __future__ import annotations

from django_tasks import task

from kith.loyalty import services


@task()
def points_expire_task() -> int:
    return services.points_expire()


@task()
def tiers_evaluate_task() -> int:
    return services.tiers_evaluate()


@task()
def birthday_bonuses_task() -> int:
    return services.birthday_bonuses_award()
