"""Scale benchmark: bulk-load N survey answers (with their requests), then time the feedback
report (NPS over 180 days with trend, per month, team, agent, channel, response rate and
follow-ups) and the answers list, through the API, at that size.

    uv run python bench/feedback_scale.py --db sqlite --answers 200000
    uv run python bench/feedback_scale.py --db postgres --answers 200000
    uv run python bench/feedback_scale.py --db sqlite --answers 200000 --reuse   # measure again

Uses bench/harness.py's throw-away databases. Requests go through Django's test Client with a
Bearer token, as an admin (scope all) and as a rep (scope team). Prints p50/p95 per case and
writes bench/results/feedback_<db>_<n>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta

import harness

CHANNELS = ("email", "email", "email", "link", "qr")
LANGS = ("en", "zh-hans", "vi")


def load(answers: int, batch: int = 50_000) -> dict:
    from django.db import connection
    from django.utils import timezone

    from kith.core.bulk import rows_insert
    from kith.demo.loader import demo_accounts_create
    from kith.feedback.models import Question, Survey, SurveyRequest, SurveyResponse
    from kith.identity.models import User

    started = time.monotonic()
    demo_accounts_create()
    admin = User.objects.get(username="admin")
    survey = Survey.objects.create(name="Relationship NPS", kind="nps", owner=admin)
    Question.objects.create(survey=survey, position=1, kind="nps", texts={"en": "Recommend?"})
    owners = list(User.objects.values_list("pk", "team_id"))
    rng = random.Random(11)
    now = timezone.now()
    span = 365 * 86400
    weights = (3, 2, 2, 3, 3, 5, 7, 12, 18, 22, 23)
    for first in range(0, answers, batch):
        requests, responses = [], []
        for n in range(first, min(answers, first + batch)):
            owner, team = owners[n % len(owners)]
            at = now - timedelta(seconds=span * n / answers + rng.random())
            channel = rng.choice(CHANNELS)
            requests.append((n + 1, survey.pk, channel, "en", owner, team, at, at, at))
            responses.append((
                n + 1, survey.pk, n + 1, channel, rng.choice(LANGS), "nps",
                rng.choices(range(11), weights)[0], owner, team, owner, at, at,
            ))  # fmt: skip
        rows_insert(
            SurveyRequest,
            ("id", "survey_id", "channel", "language", "owner_id", "team_id", "created_at",
             "sent_at", "answered_at"),
            requests,
        )  # fmt: skip
        rows_insert(
            SurveyResponse,
            ("id", "survey_id", "request_id", "channel", "language", "kind", "score", "owner_id",
             "team_id", "agent_id", "submitted_at", "completed_at"),
            responses,
        )  # fmt: skip
        print(f"  answers: {first + len(responses):,}/{answers:,} "
              f"({time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [SurveyRequest, SurveyResponse]
            ):
                cursor.execute(sql)
    harness.analyze()
    return {
        "loadavg": [round(x, 1) for x in harness.loadavg()],
        "load_seconds": round(time.monotonic() - started, 1),
        "answers": answers,
    }


def measure(requests: int) -> list[dict]:
    from kith.identity.models import User

    rows = []
    for username in ("admin", "lan"):
        api = harness.api_client(User.objects.get(username=username))
        first = api.get("/api/v1/survey-answers?limit=50").json()
        cases = {
            "report nps 180 days": "/api/v1/feedback-report?kind=nps",
            "report nps 180 days per week": "/api/v1/feedback-report?kind=nps&period=week",
            "answers list": "/api/v1/survey-answers?limit=50",
            "answers page 2": f"/api/v1/survey-answers?limit=50&cursor={first['next_cursor']}",
        }
        for case, url in cases.items():
            times = harness.time_requests(lambda i, u=url, c=api: c.get(u), count=requests)
            row = {"user": username, "case": case, **harness.summary(times)}
            print(row, flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--answers", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--reuse", action="store_true",
        help="SQLite only: measure the database a previous run loaded (same --answers) again",
    )  # fmt: skip
    args = parser.parse_args()
    name = f"feedback_{args.db}_{args.answers}"
    path = harness.RESULTS / f"{name}.sqlite3"
    reuse = args.db == "sqlite" and args.reuse and path.exists()
    machine = harness.Load()
    with harness.database(args.db, sqlite_path=path, fresh=not reuse):
        if reuse:
            loaded: dict = {"answers": args.answers, "reused": True}
            print(f"reusing {path}; measuring", flush=True)
        else:
            loaded = load(args.answers)
            print(f"loaded in {loaded['load_seconds']} s; measuring", flush=True)
        loaded["loadavg_before_measuring"] = list(harness.loadavg())
        rows = measure(args.requests)
        loaded["loadavg_after_measuring"] = list(harness.loadavg())
        machine.end()
        (harness.RESULTS / f"{name}.json").write_text(
            json.dumps({"load": loaded, "requests": rows, "machine": machine.as_dict()}, indent=2)
        )
        print(machine.text(), flush=True)


if __name__ == "__main__":
    main()
