"""Interactions from files: their import spec (kith.core.importing), named by this app's
ImportKind door. Each row is written by interaction_create, so an imported call or note is
stored (and announced: interaction.created, which feedback scores) like one logged by hand.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kith.core.errors import KithError
from kith.core.importing import (
    BatchOutcome,
    Cells,
    Checked,
    ImportContext,
    ImportField,
    ImportSpec,
    created_undo,
    service_failures,
)
from kith.customers.import_refs import (
    CONTACT_HANDLE_FIELD,
    CONTACT_REF_FIELDS,
    contact_ref_check,
    contact_refs_resolve,
)
from kith.engagement import services as engagement_services
from kith.engagement.models import Interaction

F = ImportField
INTERACTION_FIELDS = (
    *CONTACT_REF_FIELDS,
    F("kind", gettext_lazy("Kind (call, email, meeting, …)"), ("kind", "type", "interactiontype", "activity", "loai", "类型")),
    F("occurred_at", gettext_lazy("When"), ("date", "when", "occurredat", "datetime", "time", "ngay", "日期", "时间")),
    F("subject", gettext_lazy("Subject"), ("subject", "title", "tieude", "主题")),
    F("body", gettext_lazy("Text"), ("body", "text", "notes", "note", "content", "description", "noidung", "内容")),
    F("direction", gettext_lazy("Direction (in/out)"), ("direction", "huong", "方向")),
    F("channel", gettext_lazy("Channel"), ("channel", "kenh", "渠道")),
    F("duration_seconds", gettext_lazy("Duration (seconds)"), ("duration", "durationseconds", "seconds", "thoiluong", "时长")),
    F("outcome", gettext_lazy("Outcome"), ("outcome", "result", "ketqua", "结果")),
)  # fmt: skip
_KINDS = frozenset(Interaction.Kind.values)
_DIRECTIONS = frozenset(Interaction.Direction.values)
_OUTCOMES = frozenset(Interaction.Outcome.values)
_KIND_SYNONYMS = {"phone": "call", "phonecall": "call", "e-mail": "email", "mail": "email"}


def interaction_row_check(cells: Cells, item: Checked) -> None:
    """A row as interaction_create arguments (the contact is resolved per batch)."""
    contact_ref_check(cells, item)
    kind = cells.get("kind").lower() or Interaction.Kind.NOTE
    kind = _KIND_SYNONYMS.get(kind, kind)
    if kind not in _KINDS:
        cells.fail("kind", _("Choose call, email, meeting, chat, social, visit or note."))
    direction = cells.get("direction").lower()
    direction = {"inbound": "in", "outbound": "out"}.get(direction, direction)
    if direction not in _DIRECTIONS:
        cells.fail("direction", _("Direction is in, out or empty."))
    outcome = cells.get("outcome").lower().replace(" ", "_")
    if outcome not in _OUTCOMES:
        cells.fail("outcome", _("Choose a call outcome."))
    duration: int | None = None
    if cells.get("duration_seconds"):
        if cells.get("duration_seconds").isdigit():
            duration = int(cells.get("duration_seconds"))
        else:
            cells.fail("duration_seconds", _("The duration is a number of seconds."))
    body = cells.text("body", 100_000)
    subject = cells.text("subject", 300)
    if kind == Interaction.Kind.NOTE and not (body or subject):
        cells.fail("body", _("A note needs some text."))
    item.values.update(
        kind=kind,
        occurred_at=cells.when("occurred_at") or timezone.now(),
        subject=subject,
        body=body,
        direction=direction,
        channel=cells.text("channel", 32),
        duration_seconds=duration,
        outcome=outcome,
    )


def interaction_keys(item: Checked) -> list[str]:
    v = item.values
    return [f"{v['contact_id']}|{v['kind']}|{v['occurred_at'].isoformat()}|{v['subject']}"]


def interactions_existing(ctx: ImportContext, items: list[Checked]) -> dict[int, int]:
    """Rows with the same contact, kind, time and subject as an interaction already logged."""
    contact_ids = sorted({i.values["contact_id"] for i in items})
    seen: dict[tuple, int] = {}
    for start in range(0, len(contact_ids), 500):
        for pk, *key in Interaction.objects.filter(
            contact_id__in=contact_ids[start : start + 500]
        ).values_list("pk", "contact_id", "kind", "occurred_at", "subject"):
            seen.setdefault(tuple(key), pk)
    found = {}
    for index, item in enumerate(items):
        v = item.values
        key = (v["contact_id"], v["kind"], v["occurred_at"], v["subject"])
        if key in seen:
            found[index] = seen[key]
    return found


def interactions_write(ctx: ImportContext, items: list[Checked]) -> BatchOutcome:
    """Each row through engagement.interaction_create (a refused row goes to the error file)."""
    out = BatchOutcome()
    for item in items:
        v = item.values
        try:
            with transaction.atomic():
                interaction = engagement_services.interaction_create(
                    by=ctx.by,
                    contact=v["contact_id"],
                    **{k: x for k, x in v.items() if k not in ("contact_id", "contact_ref")},
                )
        except KithError as exc:
            out.failures += service_failures(item, exc, ctx)
            continue
        out.created_ids.append(interaction.pk)
    return out


def interactions_undo(ranges: list[list[int]], updates: list[Any], actor_id: int | None) -> None:
    created_undo(Interaction, ranges)


INTERACTIONS = ImportSpec(
    fields=INTERACTION_FIELDS,
    row_check=interaction_row_check,
    batch_check=contact_refs_resolve,
    keys=interaction_keys,
    existing=interactions_existing,
    write=interactions_write,
    undo=interactions_undo,
    tables=(Interaction,),
)


# --- social mentions and chat transcripts ------------------------------------------------------

MESSAGE_FIELDS = (
    CONTACT_HANDLE_FIELD,
    *CONTACT_REF_FIELDS,
    F("platform", gettext_lazy("Platform (Facebook, Zalo, WeChat, …)"), ("platform", "network", "source", "channel", "app", "kenh", "平台", "渠道")),
    F("occurred_at", gettext_lazy("When"), ("date", "when", "time", "timestamp", "datetime", "sentat", "createdat", "ngay", "日期", "时间")),
    F("body", gettext_lazy("Text"), ("text", "message", "body", "content", "mention", "post", "comment", "noidung", "内容", "消息")),
    F("subject", gettext_lazy("Subject"), ("subject", "title", "thread", "conversation", "chat", "tieude", "主题")),
    F("direction", gettext_lazy("Direction (in/out)"), ("direction", "huong", "方向")),
)  # fmt: skip
# Platforms whose messages are chats (one to one); any other platform's are social posts.
CHAT_PLATFORMS = frozenset(
    {"chat", "livechat", "whatsapp", "zalo", "wechat", "weixin", "messenger", "telegram",
     "line", "viber", "sms", "imessage", "signal", "kakaotalk", "微信"}
)  # fmt: skip


def message_row_check(cells: Cells, item: Checked) -> None:
    """A mention or chat message as an interaction (kind chat or social by its platform,
    coming in unless the row says otherwise): its text is scored for sentiment on arrival,
    like every interaction logged (feedback handles interaction.logged)."""
    contact_ref_check(cells, item)
    platform = cells.text("platform", 32)
    key = platform.lower().replace(" ", "")
    kind = Interaction.Kind.CHAT if key in CHAT_PLATFORMS else Interaction.Kind.SOCIAL
    direction = cells.get("direction").lower() or "in"
    direction = {"inbound": "in", "outbound": "out", "received": "in", "sent": "out"}.get(
        direction, direction
    )
    if direction not in _DIRECTIONS:
        cells.fail("direction", _("Direction is in, out or empty."))
    body = cells.text("body", 100_000)
    if not body:
        cells.fail("body", _("A message needs some text."))
    item.values.update(
        kind=kind,
        occurred_at=cells.when("occurred_at") or timezone.now(),
        subject=cells.text("subject", 300),
        body=body,
        direction=direction,
        channel=key or kind,
    )


MESSAGES = ImportSpec(
    fields=MESSAGE_FIELDS,
    row_check=message_row_check,
    batch_check=contact_refs_resolve,
    keys=interaction_keys,
    existing=interactions_existing,
    write=interactions_write,
    undo=interactions_undo,
    tables=(Interaction,),
)
