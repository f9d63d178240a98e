"""Feedback pages: surveys (list, builder, detail with public link and QR code, send), answers
(list, detail, CSV export), the NPS/CSAT/CES dashboard, the company panel, and the public
survey pages (a recipient's signed link, whose first question may arrive answered from the
email, and a survey's public link or QR code)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.errors import FieldError, StaleEdit
from kith.core.public_forms import RateLimited
from kith.customers import selectors as customer_selectors
from kith.feedback import selectors, services
from kith.feedback.models import Question, Survey
from kith.identity.access import require
from kith.web.views.errors import service_errors
from kith.web.views.lists import list_template, with_vary
from kith.web.views.service import _client_ip

LANGS = [code for code, _name in settings.LANGUAGES]
BUILDER_ROWS = 8  # question rows the builder form offers


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --- surveys ---------------------------------------------------------------------------------


@login_required
@service_errors
def survey_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "feedback", "read")
    try:
        page = selectors.surveys_list(
            user=request.user, cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )  # fmt: skip
    except FieldError:
        page = selectors.surveys_list(user=request.user, limit=settings.KITH_PAGE_SIZE)
    context = {"page": page, "surveys": page.items}
    return with_vary(
        render(request, list_template(request, "web/feedback/survey_list.html"), context)
    )


def _builder_rows(data: Any, survey: Survey | None) -> list[dict[str, Any]]:
    """The builder's question rows: posted values, else the survey's questions, padded."""
    rows: list[dict[str, Any]] = []
    if data is not None:
        for n in range(1, BUILDER_ROWS + 1):
            rows.append({
                "n": n, "kind": data.get(f"q{n}_kind", ""),
                "texts": {lang: data.get(f"q{n}_text_{lang}", "") for lang in LANGS},
                "choices": data.get(f"q{n}_choices", ""), "required": bool(data.get(f"q{n}_required")),
                "if_q": data.get(f"q{n}_if_q", ""), "if_min": data.get(f"q{n}_if_min", ""),
                "if_max": data.get(f"q{n}_if_max", ""), "if_choices": data.get(f"q{n}_if_choices", ""),
            })  # fmt: skip
        return rows
    questions = list(survey.questions.all()) if survey else []
    for n in range(1, BUILDER_ROWS + 1):
        q = questions[n - 1] if n <= len(questions) else None
        rule = q.show_if if q else {}
        rows.append({
            "n": n, "kind": q.kind if q else "",
            "texts": {lang: (q.texts.get(lang, "") if q else "") for lang in LANGS},
            "choices": "\n".join(c["texts"].get(survey.default_language, c["key"]) for c in q.choices)
            if q and survey else "",
            "required": bool(q and q.required), "if_q": rule.get("question", ""),
            "if_min": rule.get("min", ""), "if_max": rule.get("max", ""),
            "if_choices": ",".join(rule.get("choices", [])),
        })  # fmt: skip
    return rows


def _questions_from_rows(rows: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    for row in rows:
        if not row["kind"]:
            continue
        item: dict[str, Any] = {
            "kind": row["kind"], "texts": {k: v for k, v in row["texts"].items() if v.strip()},
            "required": row["required"],
        }  # fmt: skip
        if row["kind"] in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            labels = [line.strip() for line in str(row["choices"]).splitlines() if line.strip()]
            item["choices"] = [
                {"key": f"c{i}", "texts": {language: t}} for i, t in enumerate(labels, 1)
            ]
        if str(row["if_q"]).isdigit():
            rule: dict[str, Any] = {"question": int(row["if_q"])}
            for bound in ("min", "max"):
                value = str(row[f"if_{bound}"]).strip()
                if value.lstrip("-").isdigit():
                    rule[bound] = int(value)
            picked = [c.strip() for c in str(row["if_choices"]).split(",") if c.strip()]
            if picked:
                rule["choices"] = picked
            item["show_if"] = rule
        questions.append(item)
    return questions


def _survey_fields(data: Any) -> dict[str, Any]:
    language = data.get("default_language") or "en"
    return {
        "trigger": data.get("trigger") or Survey.Trigger.MANUAL,
        "every_months": data.get("every_months") or None,
        "is_anonymous": bool(data.get("is_anonymous")),
        "is_active": bool(data.get("is_active")) if "is_active_shown" in data else True,
        "default_language": language,
        "titles": {lang: data.get(f"title_{lang}", "") for lang in LANGS if data.get(f"title_{lang}")},
    }  # fmt: skip


def _builder_context(survey: Survey | None, data: Any, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "survey": survey, "data": data, "errors": errors,
        "rows": _builder_rows(data, survey), "langs": settings.LANGUAGES,
        "kinds": Survey.Kind.choices, "triggers": Survey.Trigger.choices,
        "question_kinds": Question.Kind.choices,
    }  # fmt: skip


@login_required
@service_errors
def survey_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "feedback", "create")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = request.POST
        fields = _survey_fields(data)
        rows = _builder_rows(data, None)
        questions = _questions_from_rows(rows, fields["default_language"])
        kind = data.get("kind", "")
        try:
            survey = services.survey_create(
                by=request.user, name=data.get("name", ""), kind=kind,
                questions=questions or None, **fields,
            )  # fmt: skip
        except FieldError as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Survey created."))
            return redirect("survey-detail", survey_id=survey.pk)
    context = _builder_context(None, request.POST if request.method == "POST" else None, errors)
    return render(request, "web/feedback/survey_form.html", context, status=status)


@login_required
@service_errors
def survey_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = selectors.survey_get(user=request.user, survey_id=survey_id)
    require(request.user, "feedback", "edit", survey)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = request.POST
        fields = _survey_fields(data)
        questions = _questions_from_rows(_builder_rows(data, None), fields["default_language"])
        if questions and not survey.responses.exists():
            fields["questions"] = questions
        try:
            services.survey_update(
                by=request.user, survey_id=survey.pk, version=_int(data.get("version")),
                name=data.get("name", ""), **fields,
            )  # fmt: skip
        except StaleEdit as exc:
            errors, status = {"__all__": str(exc)}, 409
        except FieldError as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Survey saved."))
            return redirect("survey-detail", survey_id=survey.pk)
    context = _builder_context(survey, request.POST if request.method == "POST" else None, errors)
    return render(request, "web/feedback/survey_form.html", context, status=status)


@login_required
@service_errors
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = selectors.survey_get(user=request.user, survey_id=survey_id)
    lang = translation.get_language() or survey.default_language
    questions = [
        {"q": q, "text": services.text_for(q.texts, lang, survey.default_language)}
        for q in survey.questions.all()
    ]
    context = {
        "survey": survey, "questions": questions,
        "public_url": services.survey_public_url(survey=survey),
        "qr_url": services.survey_public_url(survey=survey, channel="qr"),
    }  # fmt: skip
    return render(request, "web/feedback/survey_detail.html", context)


@login_required
@service_errors
@require_POST
def survey_send(request: HttpRequest, survey_id: int) -> HttpResponse:
    try:
        services.survey_send(
            by=request.user, survey_id=survey_id,
            contact_id=_int(request.POST.get("contact_id")) or 0,
            language=request.POST.get("language", ""),
        )  # fmt: skip
    except FieldError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, _("The survey is on its way."))
    return redirect("survey-detail", survey_id=survey_id)


@login_required
@service_errors
def survey_qr(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = selectors.survey_get(user=request.user, survey_id=survey_id)
    return HttpResponse(services.survey_qr_svg(survey=survey), content_type="image/svg+xml")


# --- answers ---------------------------------------------------------------------------------


@login_required
@service_errors
def response_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "feedback", "read")
    kind = request.GET.get("kind", "")
    kind = kind if kind in Survey.Kind.values else ""
    survey_id = _int(request.GET.get("survey"))
    args = {
        "user": request.user,
        "survey_id": survey_id,
        "kind": kind,
        "limit": settings.KITH_PAGE_SIZE,
    }
    try:
        page = selectors.responses_list(cursor=request.GET.get("cursor") or None, **args)
    except FieldError:
        page = selectors.responses_list(**args)
    context = {
        "page": page, "responses": page.items, "kind": kind, "survey_id": survey_id,
        "kinds": Survey.Kind.choices,
    }  # fmt: skip
    return with_vary(
        render(request, list_template(request, "web/feedback/response_list.html"), context)
    )


@login_required
@service_errors
def response_detail(request: HttpRequest, response_id: int) -> HttpResponse:
    response = selectors.response_get(user=request.user, response_id=response_id)
    lang = translation.get_language() or response.survey.default_language
    answers = []
    for a in sorted(response.answers.all(), key=lambda a: a.question.position):
        labels = {c["key"]: services.text_for(c["texts"], lang, response.survey.default_language)
                  for c in a.question.choices}  # fmt: skip
        answers.append({
            "question": services.text_for(a.question.texts, lang, response.survey.default_language),
            "value": a.number if a.number is not None else ", ".join(labels.get(c, c) for c in a.choices) or a.text,
        })  # fmt: skip
    return render(
        request, "web/feedback/response_detail.html", {"response": response, "answers": answers}
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@service_errors
def responses_export(request: HttpRequest) -> HttpResponse:
    rows = selectors.responses_export_rows(
        user=request.user, survey_id=_int(request.GET.get("survey"))
    )
    first = next(rows)  # the permission check runs here, before the response starts
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield writer.writerow(first)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="survey-answers.csv"'
    return response


def _day(value: str | None, default: datetime) -> datetime:
    parsed = parse_date(value or "") if value else None
    if parsed is None:
        return default
    return timezone.make_aware(datetime.combine(parsed, time.min))


@login_required
@service_errors
def feedback_dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, "feedback", "read")
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    start = _day(request.GET.get("start"), today - timedelta(days=180))
    end = _day(request.GET.get("end"), today) + timedelta(days=1)
    kind = request.GET.get("kind") if request.GET.get("kind") in ("nps", "csat", "ces") else "nps"
    period = "week" if request.GET.get("period") == "week" else "month"
    report = selectors.score_report(
        user=request.user, kind=kind, start=start, end=end, period=period
    )
    chart = {
        "periods": [p.period for p in report.points],
        "value": [p.summary.value for p in report.points],
        "positive": [p.summary.positive for p in report.points],
        "neutral": [p.summary.neutral for p in report.points],
        "negative": [p.summary.negative for p in report.points],
        "labels": {
            "value": {"nps": _("NPS"), "csat": _("CSAT (%)"), "ces": _("CES (mean)")}[kind],
            "positive": _("Promoters / satisfied / easy"),
            "neutral": _("Passives / neutral"),
            "negative": _("Detractors / unsatisfied / hard"),
        },
    }
    context = {
        "report": report, "chart": chart, "kind": kind, "period": period,
        "start": start.date(), "end": (end - timedelta(days=1)).date(),
        "kinds": [("nps", _("NPS")), ("csat", _("CSAT")), ("ces", _("CES"))],
    }  # fmt: skip
    return render(request, "web/feedback/dashboard.html", context)


@login_required
@service_errors
def company_feedback_panel(request: HttpRequest, company_id: int) -> HttpResponse:
    company = customer_selectors.company_get(user=request.user, company_id=company_id)
    rows = selectors.company_responses(user=request.user, company_id=company.pk)
    return render(request, "web/feedback/panel.html", {"responses": rows, "company": company})


# --- public pages ----------------------------------------------------------------------------


def _page_questions(
    survey: Survey, lang: str, values: dict[str, Any], skip: set[int]
) -> list[dict[str, Any]]:
    from kith.feedback.services.surveys import RANGES

    out = []
    for q in survey.questions.order_by("position"):
        if q.position in skip:
            continue
        if q.kind in RANGES:
            low, high = RANGES[q.kind]
            options = [(str(n), str(n)) for n in range(low, high + 1)]
        else:
            options = [
                (c["key"], services.text_for(c["texts"], lang, survey.default_language))
                for c in q.choices
            ]
        out.append({
            "position": q.position, "kind": q.kind, "required": q.required,
            "text": services.text_for(q.texts, lang, survey.default_language), "options": options,
            "multiple": q.kind == Question.Kind.MULTIPLE, "scale": q.kind in RANGES,
            "show_if": json.dumps(q.show_if) if q.show_if else "",
            "value": values.get(f"q{q.position}", ""), "values": values.get(f"q{q.position}_list", []),
        })  # fmt: skip
    return out


def _posted(request: HttpRequest) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key in request.POST:
        if key.startswith("q") and key[1:].isdigit():
            values = request.POST.getlist(key)
            answers[key] = values if len(values) > 1 else values[0]
    return answers


def _render_public(
    request: HttpRequest, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, "web/feedback/survey_public.html", context, status=status)


def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """A recipient's signed link (also the service desk's old /csat/ links)."""
    try:
        survey_request = services.request_for_token(token=token)
    except FieldError as exc:
        return _render_public(request, {"error": exc.errors["token"]}, status=410)
    survey = survey_request.survey
    lang = survey_request.language
    with translation.override(lang):
        context: dict[str, Any] = {
            "survey": survey,
            "title": services.text_for(survey.titles, lang, survey.default_language) or survey.name,
        }
        first = request.GET.get("a") or request.GET.get("score")
        if request.method == "POST":
            answers = _posted(request)
            try:
                if request.POST.get("response_token"):
                    services.survey_answer_finish(
                        response_token=request.POST["response_token"], answers=answers
                    )
                else:
                    services.survey_answer(token=token, answers=answers)
            except FieldError as exc:
                if "token" in exc.errors:
                    return _render_public(
                        request, {**context, "error": exc.errors["token"]}, status=410
                    )
                skip = {1} if request.POST.get("response_token") else set()
                context.update(errors=exc.errors, questions=_page_questions(survey, lang, answers, skip),
                               response_token=request.POST.get("response_token", ""))  # fmt: skip
                return _render_public(request, context, status=422)
            context["thanks"] = services.text_for(
                survey.thanks, lang, survey.default_language
            ) or _("Thank you for your answer.")
            return _render_public(request, context)
        if survey_request.answered_at is not None:
            return _render_public(
                request,
                {**context, "error": _("This survey has already been answered. Thank you!")},
                status=410,
            )
        if first:
            # The score clicked in the email counts at once; the page asks the rest.
            try:
                response = services.survey_answer(token=token, answers={1: first}, partial=True)
            except FieldError as exc:
                context.update(
                    errors=exc.errors, questions=_page_questions(survey, lang, {}, set())
                )
                return _render_public(request, context, status=422)
            context.update(
                recorded=True, first=first, response_token=services.response_token_make(response_id=response.pk),
                questions=_page_questions(survey, lang, {}, {1}),
            )  # fmt: skip
            if not context["questions"]:
                context["thanks"] = _("Thank you for your answer.")
            return _render_public(request, context)
        context["questions"] = _page_questions(survey, lang, {}, set())
        return _render_public(request, context)


def survey_public(request: HttpRequest, token: str) -> HttpResponse:
    """A survey's public link or QR code: anyone may answer, naming no one."""
    try:
        survey, _channel = services.survey_for_public_token(token=token)
    except FieldError as exc:
        return _render_public(request, {"error": exc.errors["token"]}, status=410)
    wanted = request.GET.get("lang") or request.POST.get("lang") or translation.get_language() or ""
    lang = wanted if wanted in LANGS else survey.default_language
    with translation.override(lang):
        context: dict[str, Any] = {
            "survey": survey, "public": True, "lang": lang, "langs": settings.LANGUAGES,
            "title": services.text_for(survey.titles, lang, survey.default_language) or survey.name,
        }  # fmt: skip
        if request.method == "POST":
            answers = _posted(request)
            try:
                services.survey_answer_public(
                    token=token, answers=answers, request_address=_client_ip(request),
                    honeypot=request.POST.get("website_url", ""), language=lang,
                )  # fmt: skip
            except RateLimited as exc:
                context.update(
                    errors=exc.errors, questions=_page_questions(survey, lang, answers, set())
                )
                return _render_public(request, context, status=429)
            except FieldError as exc:
                status = 422
                context.update(
                    errors=exc.errors, questions=_page_questions(survey, lang, answers, set())
                )
                return _render_public(request, context, status=status)
            context["thanks"] = services.text_for(
                survey.thanks, lang, survey.default_language
            ) or _("Thank you for your answer.")
            return _render_public(request, context)
        context["questions"] = _page_questions(survey, lang, {}, set())
        return _render_public(request, context)
