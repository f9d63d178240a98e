"""Reads of feedback for api/web/cli, every one filtered by `visible_to(user, "feedback")`:
surveys, answers (lists, timeline, company panel, CSV rows) and the score reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, NotFound
from kith.core.pagination import Ordering, Page, paginate
from kith.customers.models import Contact
from kith.engagement.timeline import TimelineCursor, TimelineItem
from kith.feedback import scores
from kith.feedback.models import FollowUp, Survey, SurveyRequest, SurveyResponse
from kith.identity.access import require, visible_to
from kith.identity.models import Team, User


def _surveys(user: User) -> QuerySet[Survey]:
    return visible_to(Survey.objects.all(), user=user, module="feedback")


def _responses(user: User) -> QuerySet[SurveyResponse]:
    return visible_to(SurveyResponse.objects.all(), user=user, module="feedback")


def surveys_list(*, user: User, cursor: str | None = None, limit: int = 50) -> Page[Survey]:
    """Visible surveys, newest first, with their answer counts (one query)."""
    rows = _surveys(user).annotate(answer_count=Count("responses")).select_related("owner")
    return paginate(rows, ordering=Ordering("created_at", True), cursor=cursor, limit=limit)


def survey_get(*, user: User, survey_id: int) -> Survey:
    """A visible survey with its questions; NotFound otherwise."""
    survey = _surveys(user).filter(pk=survey_id).prefetch_related("questions").first()
    if survey is None:
        raise NotFound(_("Not found."))
    return survey


def responses_list(
    *, user: User, survey_id: int | None = None, kind: str = "", contact_id: int | None = None,
    cursor: str | None = None, limit: int = 50,
) -> Page[SurveyResponse]:  # fmt: skip
    """Visible answers, newest first, with survey, contact and agent (one query a page)."""
    rows = _responses(user).select_related("survey", "contact", "agent")
    if survey_id:
        rows = rows.filter(survey_id=survey_id)
    if kind:
        rows = rows.filter(kind=kind)
    if contact_id:
        rows = rows.filter(contact_id=contact_id)
    return paginate(rows, ordering=Ordering("submitted_at", True), cursor=cursor, limit=limit)


def response_get(*, user: User, response_id: int) -> SurveyResponse:
    """A visible answer with its question answers; NotFound otherwise."""
    response = (
        _responses(user)
        .select_related("survey", "contact", "agent")
        .prefetch_related("answers__question")
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        raise NotFound(_("Not found."))
    return response


def _score_title(r: SurveyResponse) -> str:
    if r.score is None:
        return _("Answered the survey “%(name)s”") % {"name": r.survey.name}
    return _("%(kind)s %(score)d on “%(name)s”") % {
        "kind": r.kind.upper(), "score": r.score, "name": r.survey.name,
    }  # fmt: skip


def responses_for_timeline(
    *, user: User, contact_id: int, before: TimelineCursor | None, limit: int
) -> Iterable[TimelineItem]:
    """A contact's visible survey answers as timeline items, newest first (response_contact_idx)."""
    rows = _responses(user).filter(contact_id=contact_id).select_related("survey")
    if before is not None:
        rows = rows.filter(before.q(kind="survey", at_field="submitted_at"))
    return [
        TimelineItem(
            kind="survey",
            at=r.submitted_at,
            key=r.pk,
            title=_score_title(r),
            summary=r.comment[:200],
            url=f"/feedback/answers/{r.pk}/",
            icon="survey",
            data={"score": r.score, "kind": r.kind},
        )
        for r in rows.order_by("-submitted_at", "-id")[:limit]
    ]


def company_responses(*, user: User, company_id: int, limit: int = 5) -> list[SurveyResponse]:
    """A company's latest visible answers (response_company_idx)."""
    rows = _responses(user).filter(company_id=company_id).select_related("survey", "contact")
    return list(rows.order_by("-submitted_at", "-id")[:limit])


# --- reports ---------------------------------------------------------------------------------

TAGS_SHOWN = 20  # the tags with the most answers in the period


@dataclass
class GroupRow:
    label: str
    summary: scores.ScoreSummary


@dataclass
class PeriodPoint:
    period: str  # "2026-11" or "2026-11-02" (week starting)
    summary: scores.ScoreSummary


@dataclass
class FollowUpStats:
    opened: int = 0
    closed: int = 0
    closed_on_time: int = 0
    mean_hours_to_close: float | None = None


@dataclass
class ScoreReport:
    kind: str
    start: datetime
    end: datetime
    total: scores.ScoreSummary
    previous: scores.ScoreSummary  # the period of the same length just before, for the trend
    points: list[PeriodPoint] = field(default_factory=list)
    by_team: list[GroupRow] = field(default_factory=list)
    by_agent: list[GroupRow] = field(default_factory=list)
    by_channel: list[GroupRow] = field(default_factory=list)
    # The answering contact's lifecycle stage and tags as they are now (anonymous answers: no
    # contact, not in by_tag). Marketing's segments are a higher layer and are not read here.
    by_stage: list[GroupRow] = field(default_factory=list)
    by_tag: list[GroupRow] = field(default_factory=list)
    sent: int = 0
    answered: int = 0
    follow_ups: FollowUpStats = field(default_factory=FollowUpStats)

    @property
    def response_rate(self) -> float | None:
        return scores.response_rate(sent=self.sent, answered=self.answered)

    @property
    def trend(self) -> float | None:
        """The change of the headline figure against the previous period."""
        if self.total.value is None or self.previous.value is None:
            return None
        return round(self.total.value - self.previous.value, 1)


def _grouped(rows: QuerySet[SurveyResponse], key: str) -> dict[Any, dict[int, int]]:
    counts: dict[Any, dict[int, int]] = defaultdict(dict)
    for r in rows.values(key, "score").annotate(n=Count("pk")).order_by():
        counts[r[key]][r["score"]] = r["n"]
    return counts


def score_report(
    *, user: User, kind: str, start: datetime, end: datetime, period: str = "month",
    survey_id: int | None = None,
) -> ScoreReport:  # fmt: skip
    """NPS, CSAT or CES (`kind`) of the visible answers submitted in [start, end): the headline
    figure, the previous period's for the trend, per month/week, per team, agent and channel;
    requests sent and answered (response rate); follow-ups opened, closed and how fast.
    A fixed number of grouped queries whatever the size."""
    require(user, "feedback", "read")
    if kind not in scores.SCALES:
        raise FieldError.one("kind", _("Choose NPS, CSAT or CES."))
    if period not in ("month", "week"):
        raise FieldError.one("period", _("Choose month or week."))
    if end <= start:
        raise FieldError.one("end", _("The end must come after the start."))
    answered = _responses(user).filter(kind=kind, score__isnull=False)
    if survey_id:
        answered = answered.filter(survey_id=survey_id)
    rows = answered.filter(submitted_at__gte=start, submitted_at__lt=end)
    before = answered.filter(submitted_at__gte=start - (end - start), submitted_at__lt=start)
    previous = scores.summarise_counts(kind, _grouped(before, "kind").get(kind, {}))
    # One scan of the period: counts per (period, team, agent, channel, score), folded here.
    trunc = TruncMonth("submitted_at") if period == "month" else TruncWeek("submitted_at")
    cells: list[Any] = list(
        rows.annotate(p=trunc)
        .values("p", "team_id", "agent_id", "channel", "score")
        .annotate(n=Count("pk"))
        .order_by()
    )
    folded: dict[str, dict[Any, dict[int, int]]] = {
        "all": defaultdict(dict), "p": defaultdict(dict), "team_id": defaultdict(dict),
        "agent_id": defaultdict(dict), "channel": defaultdict(dict),
    }  # fmt: skip
    for cell in cells:
        for key in folded:
            counts = folded[key][None if key == "all" else cell[key]]
            score = int(cell["score"])
            counts[score] = counts.get(score, 0) + int(cell["n"])
    total = scores.summarise_counts(kind, folded["all"].get(None, {}))
    points = [
        PeriodPoint(
            at.strftime("%Y-%m" if period == "month" else "%Y-%m-%d"),
            scores.summarise_counts(kind, counts),
        )
        for at, counts in sorted(
            (at, counts) for at, counts in folded["p"].items() if at is not None
        )
    ]
    teams = dict(Team.objects.filter(pk__in=list(folded["team_id"])).values_list("pk", "name"))
    agents = dict(
        User.objects.filter(pk__in=list(folded["agent_id"])).values_list("pk", "username")
    )
    channels = dict(SurveyRequest.Channel.choices)

    def group(key: str, labels: dict[Any, Any], none: str) -> list[GroupRow]:
        out = [
            GroupRow(str(labels.get(k) or none), scores.summarise_counts(kind, c))
            for k, c in folded[key].items()
            if key != "agent_id" or k is not None
        ]
        return sorted(out, key=lambda g: g.label)

    stages = dict(Contact.Stage.choices)
    by_stage = [
        GroupRow(str(stages.get(k) or k or _("No contact")), scores.summarise_counts(kind, c))
        for k, c in _grouped(rows, "contact__lifecycle_stage").items()
    ]
    by_tag = [
        GroupRow(str(k), scores.summarise_counts(kind, c))
        for k, c in _grouped(
            rows.filter(contact__tags__isnull=False), "contact__tags__name"
        ).items()
    ]
    requests = visible_to(SurveyRequest.objects.all(), user=user, module="feedback").filter(
        survey__kind=kind, created_at__gte=start, created_at__lt=end
    )
    if survey_id:
        requests = requests.filter(survey_id=survey_id)
    sent = requests.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False) | Q(answered_at__isnull=False)),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
    )
    return ScoreReport(
        kind=kind, start=start, end=end, total=total, previous=previous, points=points,
        by_team=group("team_id", teams, _("No team")),
        by_agent=group("agent_id", agents, ""),
        by_channel=group("channel", channels, _("Other")),
        by_stage=sorted(by_stage, key=lambda g: g.label),
        by_tag=sorted(by_tag, key=lambda g: (-g.summary.answers, g.label))[:TAGS_SHOWN],
        sent=sent["sent"], answered=sent["answered"],
        follow_ups=follow_up_stats(user=user, start=start, end=end, kind=kind),
    )  # fmt: skip


def follow_up_stats(*, user: User, start: datetime, end: datetime, kind: str = "") -> FollowUpStats:
    """Follow-ups opened in [start, end) on visible records: how many, how many closed (their
    task done), on time (before the due time), and the mean hours from opening to done."""
    rows = visible_to(FollowUp.objects.all(), user=user, module="feedback").filter(
        created_at__gte=start, created_at__lt=end
    )
    if kind:
        rows = rows.filter(Q(response__kind=kind) | Q(response__isnull=True))
    done: list[tuple[datetime, datetime, datetime]] = [
        (opened, closed, due)
        for opened, closed, due in rows.filter(
            task__status="done", task__completed_at__isnull=False
        ).values_list("created_at", "task__completed_at", "due_at")
        if closed is not None
    ]
    hours = [(closed - opened).total_seconds() / 3600 for opened, closed, _due in done]
    return FollowUpStats(
        opened=rows.count(),
        closed=len(done),
        closed_on_time=sum(1 for _o, closed, due in done if closed <= due),
        mean_hours_to_close=round(sum(hours) / len(hours), 1) if hours else None,
    )


def responses_period(*, user: User) -> tuple[datetime | None, datetime | None]:
    """The first and last submission times of the visible answers."""
    span = _responses(user).aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    return span["first"], span["last"]


EXPORT_COLUMNS = (
    "id", "survey", "kind", "score", "comment", "channel", "language", "contact_id",
    "contact", "agent", "submitted_at", "answers",
)  # fmt: skip


def responses_export_rows(
    *, user: User, survey_id: int | None = None, chunk: int = 500
) -> Iterator[list[str]]:
    """The visible answers as CSV rows (EXPORT_COLUMNS), oldest first; needs the export right."""
    require(user, "feedback", "export")
    rows = (
        _responses(user)
        .select_related("survey", "contact", "agent")
        .prefetch_related("answers__question")
    )
    if survey_id:
        rows = rows.filter(survey_id=survey_id)
    yield list(EXPORT_COLUMNS)
    for r in rows.order_by("submitted_at", "pk").iterator(chunk_size=chunk):
        answers = "; ".join(
            f"q{a.question.position}="
            + (str(a.number) if a.number is not None else ",".join(a.choices) or a.text)
            for a in sorted(r.answers.all(), key=lambda a: a.question.position)
        )
        yield [
            str(r.pk), r.survey.name, r.kind, "" if r.score is None else str(r.score), r.comment,
            r.channel, r.language, str(r.contact_id or ""),
            r.contact.full_name if r.contact else "", r.agent.username if r.agent else "",
            r.submitted_at.isoformat(), answers,
        ]  # fmt: skip
