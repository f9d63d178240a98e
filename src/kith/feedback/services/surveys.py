"""Building surveys: the survey, its questions with texts per language, and their skip logic."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.audit import changes_record
from kith.core.errors import FieldError
from kith.core.validation import choice_check, text_clean, unknown_fields_check, version_check
from kith.feedback.models import Question, Survey
from kith.identity.access import for_write, owner_resolve, require
from kith.identity.models import User

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
SCORED = {Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES, Question.Kind.RATING}
RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}

# The standard questions of each kind of survey, in every language Kith speaks.
STANDARD: dict[str, list[dict[str, Any]]] = {
    "nps": [
        {
            "kind": "nps",
            "required": True,
            "texts": {
                "en": "How likely are you to recommend us to a friend or colleague?",
                "zh-hans": "您向朋友或同事推荐我们的可能性有多大？",
                "vi": "Bạn có sẵn lòng giới thiệu chúng tôi cho bạn bè hoặc đồng nghiệp không?",
            },
        },
        {
            "kind": "text",
            "texts": {
                "en": "Why did you give this score?",
                "zh-hans": "您为什么给出这个分数？",
                "vi": "Vì sao bạn cho điểm này?",
            },
        },
    ],
    "csat": [
        {
            "kind": "csat",
            "required": True,
            "texts": {
                "en": "How satisfied are you with our help?",
                "zh-hans": "您对我们的帮助满意吗？",
                "vi": "Bạn hài lòng với sự hỗ trợ của chúng tôi đến mức nào?",
            },
        },
        {
            "kind": "text",
            "texts": {
                "en": "Anything we could do better?",
                "zh-hans": "我们还有哪些可以改进的地方？",
                "vi": "Chúng tôi có thể làm tốt hơn điều gì?",
            },
        },
    ],
    "ces": [
        {
            "kind": "ces",
            "required": True,
            "texts": {
                "en": "The company made it easy for me to handle my issue.",
                "zh-hans": "公司让我轻松地解决了问题。",
                "vi": "Công ty đã giúp tôi giải quyết vấn đề một cách dễ dàng.",
            },
        },
        {
            "kind": "text",
            "texts": {
                "en": "What made it easy or hard?",
                "zh-hans": "是什么让它变得容易或困难？",
                "vi": "Điều gì khiến việc này dễ hay khó?",
            },
        },
    ],
}

SURVEY_FIELDS = frozenset(
    {"name", "trigger", "every_months", "is_active", "is_anonymous", "default_language",
     "titles", "thanks", "questions", "owner_id"}
)  # fmt: skip


def _texts_clean(
    value: Any, *, field: str, language: str, errors: dict[str, str], limit: int = 500
) -> dict[str, str]:
    if isinstance(value, str):
        value = {language: value}
    if not isinstance(value, dict):
        errors[field] = _("Give the text per language.")
        return {}
    texts: dict[str, str] = {}
    for code, text in value.items():
        if code not in LANGUAGE_CODES:
            errors[field] = _("“%(value)s” is not a language Kith speaks.") % {"value": code}
            continue
        cleaned = text_clean(text, field=field, limit=limit, errors=errors)
        if cleaned:
            texts[code] = cleaned
    return texts


def _show_if_clean(
    raw: Any, position: int, kinds: dict[int, str], field: str, errors: dict[str, str]
) -> dict[str, Any]:
    if not raw:
        return {}
    if not isinstance(raw, dict) or not isinstance(raw.get("question"), int):
        errors[field] = _("Name the earlier question this one depends on.")
        return {}
    target = raw["question"]
    if target >= position or target not in kinds:
        errors[field] = _("A question can only depend on an earlier question.")
        return {}
    rule: dict[str, Any] = {"question": target}
    for bound in ("min", "max"):
        if raw.get(bound) is not None:
            if not isinstance(raw[bound], int):
                errors[field] = _("Bounds are whole numbers.")
            rule[bound] = raw[bound]
    if raw.get("choices"):
        rule["choices"] = [str(c) for c in raw["choices"]]
    if len(rule) == 1:
        errors[field] = _("Give a range (min/max) or the choices that show this question.")
    return rule


def questions_clean(raw: Any, *, language: str) -> list[Question]:
    """Unsaved Question rows from a list of dicts ({kind, texts, choices, required, show_if});
    FieldError keyed "questions.<n>.<field>" (n from 1)."""
    if not isinstance(raw, list) or not raw:
        raise FieldError.one("questions", _("A survey needs at least one question."))
    errors: dict[str, str] = {}
    rows: list[Question] = []
    kinds: dict[int, str] = {}
    for position, item in enumerate(raw, start=1):
        prefix = f"questions.{position}"
        if not isinstance(item, dict):
            errors[prefix] = _("Describe the question with its kind and text.")
            continue
        kind = item.get("kind")
        choice_check(kind, Question.Kind.values, field=f"{prefix}.kind", errors=errors)
        texts = _texts_clean(
            item.get("texts"), field=f"{prefix}.texts", language=language, errors=errors
        )
        if language not in texts and f"{prefix}.texts" not in errors:
            errors[f"{prefix}.texts"] = _("Write the question in the survey's default language.")
        choices: list[dict[str, Any]] = []
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            for n, choice in enumerate(item.get("choices") or [], start=1):
                if isinstance(choice, str):
                    choice = {"key": f"c{n}", "texts": {language: choice}}
                key = str((choice or {}).get("key") or f"c{n}")[:40]
                label = _texts_clean(
                    (choice or {}).get("texts"), field=f"{prefix}.choices", language=language,
                    errors=errors, limit=200,
                )  # fmt: skip
                if language not in label:
                    errors[f"{prefix}.choices"] = _("Every choice needs a text.")
                choices.append({"key": key, "texts": label})
            if len(choices) < 2:
                errors[f"{prefix}.choices"] = _("Give at least two choices.")
            elif len({c["key"] for c in choices}) != len(choices):
                errors[f"{prefix}.choices"] = _("Two choices have the same key.")
        show_if = _show_if_clean(item.get("show_if"), position, kinds, f"{prefix}.show_if", errors)
        kinds[position] = str(kind)
        rows.append(
            Question(
                position=position, kind=str(kind), texts=texts, choices=choices,
                required=bool(item.get("required")), show_if=show_if,
            )
        )  # fmt: skip
    if errors:
        raise FieldError(errors)
    return rows


def _snapshot(survey: Survey) -> dict[str, str]:
    return {
        "name": survey.name, "trigger": survey.trigger,
        "every_months": str(survey.every_months or ""), "is_active": str(survey.is_active),
        "is_anonymous": str(survey.is_anonymous), "default_language": survey.default_language,
    }  # fmt: skip


def _survey_apply(survey: Survey, fields: dict[str, Any], errors: dict[str, str]) -> None:
    if "name" in fields:
        survey.name = text_clean(
            fields["name"], field="name", limit=200, errors=errors, required=True
        )
    if "default_language" in fields:
        choice_check(
            fields["default_language"], LANGUAGE_CODES, field="default_language", errors=errors
        )
        survey.default_language = str(fields["default_language"])
    if "trigger" in fields:
        choice_check(fields["trigger"], Survey.Trigger.values, field="trigger", errors=errors)
        survey.trigger = str(fields["trigger"])
    if "every_months" in fields:
        months = fields["every_months"]
        if months in (None, ""):
            survey.every_months = None
        elif not str(months).isdigit() or not 1 <= int(str(months)) <= 60:
            errors["every_months"] = _("Give a number of months from 1 to 60.")
        else:
            survey.every_months = int(str(months))
    if survey.trigger == Survey.Trigger.SCHEDULE and not survey.every_months:
        errors.setdefault("every_months", _("A scheduled survey says every how many months."))
    for flag in ("is_active", "is_anonymous"):
        if flag in fields:
            setattr(survey, flag, bool(fields[flag]))
    for name in ("titles", "thanks"):
        if name in fields:
            texts = _texts_clean(
                fields[name], field=name, language=survey.default_language, errors=errors
            )
            setattr(survey, name, texts)
    if not survey.titles.get(survey.default_language):
        survey.titles = {**survey.titles, survey.default_language: survey.name}


@transaction.atomic
def survey_create(*, by: User, name: str, kind: str, **fields: Any) -> Survey:
    """Create a survey; NPS, CSAT and CES get their standard questions (in en, zh-hans, vi)
    unless `questions` are given; a custom survey must give them."""
    require(by, "feedback", "create")
    unknown_fields_check(fields, SURVEY_FIELDS)
    errors: dict[str, str] = {}
    choice_check(kind, Survey.Kind.values, field="kind", errors=errors)
    owner = owner_resolve(
        by=by, owner_id=fields.pop("owner_id", None), module="feedback", errors=errors
    )
    survey = Survey(kind=kind, owner=owner, team_id=owner.team_id)
    _survey_apply(survey, {"name": name, **fields}, errors)
    raw_questions = fields.get("questions")
    questions: list[Question] = []
    if raw_questions is None and kind in STANDARD:
        raw_questions = STANDARD[kind]
    try:  # every mistake at once: the survey's fields and the questions'
        questions = questions_clean(raw_questions, language=survey.default_language)
    except FieldError as exc:
        errors.update(exc.errors)
    if errors:
        raise FieldError(errors)
    survey.save()
    for q in questions:
        q.survey = survey
    Question.objects.bulk_create(questions)
    changes_record(instance=survey, actor=by, before=None, after=_snapshot(survey))
    return survey


@transaction.atomic
def survey_update(*, by: User, survey_id: int, version: int | None, **fields: Any) -> Survey:
    """Change a survey's settings or questions; questions of a survey with answers can no
    longer be replaced (their answers would lose their meaning)."""
    unknown_fields_check(fields, SURVEY_FIELDS - {"owner_id"})
    survey = for_write(Survey, module="feedback", by=by, pk=survey_id, right="edit")
    version_check(survey, version)
    before = _snapshot(survey)
    errors: dict[str, str] = {}
    _survey_apply(survey, fields, errors)
    if errors:
        raise FieldError(errors)
    if "questions" in fields:
        if survey.responses.exists():
            raise FieldError.one(
                "questions", _("This survey has answers: copy it to change its questions.")
            )
        questions = questions_clean(fields["questions"], language=survey.default_language)
        survey.questions.all().delete()
        for q in questions:
            q.survey = survey
        Question.objects.bulk_create(questions)
    survey.version += 1
    survey.save()
    changes_record(instance=survey, actor=by, before=before, after=_snapshot(survey))
    return survey


def text_for(texts: dict[str, str], language: str, fallback: str) -> str:
    """The text in `language`, else in the survey's `fallback` language, else any."""
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")
