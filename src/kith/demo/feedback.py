"""Demo data of feedback: the service desk's CSAT answers as answers of the "Support
satisfaction (CSAT)" survey, a relationship NPS survey, a post-order CES survey and a custom
delivery survey, with requests (some unanswered, for response rates) and answers over the past
six months in English, Chinese and Vietnamese with realistically mixed scores and comments;
a few detractors followed up (some closed). Rows are written in bulk with explicit ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from kith.customers.models import Contact
from kith.demo.context import DemoContext
from kith.engagement.models import Interaction, Task
from kith.feedback import services
from kith.feedback.models import (
    FollowUp,
    Question,
    Survey,
    SurveyAnswer,
    SurveyRequest,
    SurveyResponse,
)
from kith.service.models import Ticket

ANSWERS = {"tiny": 120, "small": 1500, "large": 15000}
LANGS = ("en", "zh-hans", "vi")
# Comments by language and mood: what customers of a shop with deliveries really write.
COMMENTS = {
    "en": {
        "positive": ["Fast delivery and friendly staff.", "Great quality, will order again!",
                     "The support agent solved it in minutes."],
        "neutral": ["It was okay.", "Delivery was on time, packaging could be better."],
        "negative": ["Delivery was late again.", "Nobody answered my emails for days.",
                     "The product broke after a week, very disappointed."],
    },
    "zh-hans": {
        "positive": ["送货很快，服务很好。", "质量很好，还会再买！", "客服很耐心，问题马上解决了。"],
        "neutral": ["还可以。", "一般般，包装可以更好。"],
        "negative": ["送餐慢，等了一个多小时。", "客服一直不回复，太失望了。", "东西用了一周就坏了。"],
    },
    "vi": {
        "positive": ["Giao hàng nhanh, nhân viên thân thiện.", "Chất lượng tốt, sẽ mua lại!",
                     "Nhân viên hỗ trợ rất nhiệt tình."],
        "neutral": ["Tạm được.", "Giao đúng hẹn nhưng đóng gói chưa kỹ."],
        "negative": ["Giao hàng chậm quá.", "Gọi mãi không ai nghe máy.",
                     "Sản phẩm hỏng sau một tuần, rất thất vọng."],
    },
}  # fmt: skip
DELIVERY = [
    {"kind": "rating", "required": True, "texts": {
        "en": "How was your delivery?", "zh-hans": "您对这次配送满意吗？", "vi": "Bạn thấy việc giao hàng thế nào?"}},
    {"kind": "multiple", "show_if": {"question": 1, "max": 3}, "texts": {
        "en": "What went wrong?", "zh-hans": "哪里出了问题？", "vi": "Có vấn đề gì?"},
     "choices": [
        {"key": "late", "texts": {"en": "Late", "zh-hans": "太慢", "vi": "Trễ"}},
        {"key": "damaged", "texts": {"en": "Damaged", "zh-hans": "破损", "vi": "Hư hỏng"}},
        {"key": "wrong", "texts": {"en": "Wrong item", "zh-hans": "发错货", "vi": "Sai hàng"}}]},
    {"kind": "text", "texts": {"en": "Anything else?", "zh-hans": "还有其他意见吗？", "vi": "Bạn còn góp ý gì không?"}},
]  # fmt: skip
# Customers' own messages (inbound emails and chats) per language and mood, scored by the demo.
MESSAGES = {
    "en": {
        "positive": ["Thanks a lot, the order arrived early and everything works perfectly.",
                     "Your support team was wonderful, problem solved in one call."],
        "neutral": ["Could you send me the invoice for last month's order?",
                    "What are your opening hours on Saturday?"],
        "negative": ["The parcel arrived damaged and nobody replies to my emails. Very disappointed.",
                     "Third time the delivery is late, this is unacceptable."],
    },
    "zh-hans": {
        "positive": ["东西收到了，质量很好，包装也很用心，谢谢！", "客服态度非常好，很快就解决了问题。"],
        "neutral": ["请问上个月订单的发票什么时候开？", "周六几点开门？"],
        "negative": ["送货太慢了，等了三天还没到，非常失望。", "收到的商品是坏的，客服也不回复，太差了。"],
    },
    "vi": {
        "positive": ["Hàng về sớm, chất lượng rất tốt, cảm ơn shop nhiều!",
                     "Nhân viên tư vấn nhiệt tình, giải quyết nhanh, rất hài lòng."],
        "neutral": ["Cho mình xin hóa đơn của đơn hàng tháng trước.", "Thứ bảy cửa hàng mở cửa mấy giờ?"],
        "negative": ["Giao hàng chậm quá, đợi ba ngày vẫn chưa nhận được, rất thất vọng.",
                     "Sản phẩm bị hỏng mà gọi mãi không ai nghe máy, quá tệ."],
    },
}  # fmt: skip
MESSAGE_SHARE = 0.3  # one contact in three or so wrote to us
WEIGHTS = {
    "nps": (list(range(11)), (3, 2, 2, 3, 3, 5, 7, 12, 18, 22, 23)),
    "ces": (list(range(1, 8)), (4, 6, 8, 12, 20, 27, 23)),
    "rating": (list(range(1, 6)), (6, 8, 14, 34, 38)),
}


def _mood(kind: str, score: int) -> str:
    if kind == "rating":
        kind = "csat"
    from kith.feedback.scores import buckets

    return buckets(kind, score)


def _next_id(model: Any) -> int:
    return int(model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def demo_feedback_load(context: DemoContext) -> None:
    """Adds the feedback demo records; counts go to context.counts."""
    rng = context.rng("feedback")
    admin = context.users["admin"]
    contacts = list(
        Contact.objects.exclude(primary_email="")
        .order_by("pk")
        .values_list("pk", "owner_id", "team_id", "company_id")[:5000]
    )
    if not contacts:
        return
    csat = services.csat_survey_ensure(owner_id=admin.pk)
    surveys = [
        (services.survey_create(by=admin, name="Relationship NPS", kind="nps", trigger="schedule",
                                every_months=6), "nps"),
        (services.survey_create(by=admin, name="Ordering effort (CES)", kind="ces",
                                trigger="order_created"), "ces"),
        (services.survey_create(by=admin, name="Delivery feedback", kind="custom",
                                questions=DELIVERY, default_language="vi",
                                is_anonymous=False), "rating"),
    ]  # fmt: skip
    questions = {
        s.pk: {q.position: q for q in Question.objects.filter(survey=s)}
        for s in [csat] + [s for s, _k in surveys]
    }
    now = timezone.now()
    req_id, resp_id = _next_id(SurveyRequest), _next_id(SurveyResponse)
    requests: list[SurveyRequest] = []
    responses: list[SurveyResponse] = []
    answers: list[SurveyAnswer] = []

    def add(survey: Survey, contact: tuple, lang: str, kind: str, score: int | None, at: Any,
            comment: str, *, source: tuple[str, int | None] = ("", None),
            agent_id: int | None = None, team_id: int | None = None) -> None:  # fmt: skip
        nonlocal req_id, resp_id
        contact_id, owner_id, contact_team, company_id = contact
        requests.append(SurveyRequest(
            id=req_id, survey=survey, contact_id=contact_id, channel="email", language=lang,
            source_model=source[0], source_id=source[1], owner_id=owner_id, agent_id=agent_id,
            team_id=team_id or contact_team, sent_at=at - timedelta(hours=rng.uniform(1, 72)),
            answered_at=at if score is not None else None,
        ))  # fmt: skip
        req_id += 1
        if score is None:
            return
        responses.append(SurveyResponse(
            id=resp_id, survey=survey, request_id=req_id - 1, contact_id=contact_id,
            company_id=company_id, agent_id=agent_id, owner_id=owner_id,
            team_id=team_id or contact_team, channel="email", language=lang,
            kind=survey.kind, score=score if kind in ("nps", "csat", "ces") else None,
            comment=comment, source_model=source[0], source_id=source[1], submitted_at=at,
            completed_at=at,
        ))  # fmt: skip
        qs = questions[survey.pk]
        answers.append(SurveyAnswer(response_id=resp_id, question=qs[1], number=score))
        if kind == "rating" and score <= 3:
            answers.append(SurveyAnswer(response_id=resp_id, question=qs[2],
                                        choices=rng.sample(["late", "damaged", "wrong"], k=rng.randint(1, 2))))  # fmt: skip
        if comment:
            answers.append(SurveyAnswer(response_id=resp_id, question=qs[len(qs)], text=comment))
        resp_id += 1

    # The service desk's CSAT answers (its demo wrote them on the tickets) become survey answers.
    tickets = Ticket.objects.filter(contact__isnull=False, resolved_at__isnull=False).values_list(
        "pk",
        "contact_id",
        "owner_id",
        "team_id",
        "csat_score",
        "csat_comment",
        "csat_at",
        "resolved_at",
    )
    by_contact = {
        c[0]: c
        for c in Contact.objects.filter(pk__in=tickets.values("contact_id")).values_list(
            "pk", "owner_id", "team_id", "company_id"
        )
    }
    for pk, contact_id, agent_id, team_id, score, comment, at, resolved in tickets.iterator():
        contact = by_contact.get(contact_id)
        if contact is None:
            continue
        add(csat, contact, rng.choice(LANGS), "csat", score, at or resolved + timedelta(hours=2),
            comment or "", source=("service.ticket", pk), agent_id=agent_id, team_id=team_id)  # fmt: skip
    total = ANSWERS.get(context.size, ANSWERS["tiny"])
    for n in range(total):
        survey, kind = surveys[n % len(surveys)]
        contact = contacts[rng.randrange(len(contacts))]
        lang = rng.choice(LANGS)
        at = now - timedelta(days=rng.uniform(0, 180), minutes=rng.randint(0, 600))
        # About one request in three goes unanswered (response rates below 100 %).
        score = rng.choices(*WEIGHTS[kind])[0] if rng.random() < 0.68 else None
        comment = ""
        if score is not None and rng.random() < 0.6:
            comment = rng.choice(COMMENTS[lang][_mood(kind, score)])
        add(survey, contact, lang, kind, score, at, comment)
        if n % 500 == 0:
            context.report("survey answers", n, total)
    SurveyRequest.objects.bulk_create(requests, batch_size=1000)
    SurveyResponse.objects.bulk_create(responses, batch_size=1000)
    SurveyAnswer.objects.bulk_create(answers, batch_size=1000)
    _sequence_reset()
    follow_ups = _follow_ups(responses, rng, now)
    context.counts["survey_requests"] = len(requests)
    context.counts["survey_answers"] = len(responses)
    context.counts["follow_ups"] = follow_ups
    context.report("survey answers", total, total)
    context.counts["scored_texts"] = _messages_scored(context, contacts, rng, now)


def _messages_scored(context: DemoContext, contacts: list[tuple], rng: Any, now: Any) -> int:
    """Customers' messages in the three languages with mixed moods, then every inbound text of
    the demo scored in bulk (the rescore a real installation runs for its history)."""
    from kith.feedback.services.sentiment import sentiments_rescore

    kinds = {"positive": 4, "neutral": 3, "negative": 3}
    # Every message once (the first contacts), then a random mix.
    every = [(lang, text) for lang in LANGS for texts in MESSAGES[lang].values() for text in texts]
    messages = []
    for n, (contact_id, owner_id, team_id, company_id) in enumerate(contacts):
        if n < len(every):
            lang, body = every[n]
        elif rng.random() < MESSAGE_SHARE:
            lang = rng.choice(LANGS)
            mood = rng.choices(list(kinds), weights=list(kinds.values()))[0]
            body = rng.choice(MESSAGES[lang][mood])
        else:
            continue
        kind = rng.choice(["email", "chat"])
        messages.append(Interaction(
            owner_id=owner_id, team_id=team_id, kind=kind, direction="in",
            channel="email" if kind == "email" else rng.choice(["zalo", "wechat", "web chat"]),
            occurred_at=now - timedelta(days=rng.uniform(0, 120)),
            body=body, contact_id=contact_id, company_id=company_id,
        ))  # fmt: skip
    Interaction.objects.bulk_create(messages, batch_size=1000)
    context.counts["customer_messages"] = len(messages)

    def progress(step: Any) -> None:
        context.report("sentiment", step.done, step.total)

    run = sentiments_rescore(restart=True, progress=progress)
    return run.done


def _follow_ups(responses: list[SurveyResponse], rng: Any, now: Any, limit: int = 12) -> int:
    """The latest detractors and low CSATs followed up through the service (tasks for their
    owners); two in three of them already done."""
    recent = sorted(
        (r for r in responses if r.score is not None and (
            (r.kind == "nps" and r.score <= 6) or (r.kind == "csat" and r.score <= 2))),
        key=lambda r: r.submitted_at, reverse=True,
    )[:limit]  # fmt: skip
    made = 0
    for r in recent:
        follow_up = services.follow_up_for_response(response_id=r.pk, now=r.submitted_at)
        if follow_up is None or follow_up.task_id is None:
            continue
        made += 1
        if rng.random() < 0.67:
            done = min(r.submitted_at + timedelta(hours=rng.uniform(2, 40)), now)
            Task.objects.filter(pk=follow_up.task_id).update(status="done", completed_at=done)
    return made


def _sequence_reset() -> None:
    """PostgreSQL's id sequences do not move when ids are given; set them past the rows."""
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [SurveyRequest, SurveyResponse]):
            cursor.execute(sql)


def demo_feedback_summary() -> dict[str, Any]:
    """Figures a test or the CLI can print after loading."""
    return {
        "answers": SurveyResponse.objects.count(),
        "follow_ups": FollowUp.objects.count(),
    }
