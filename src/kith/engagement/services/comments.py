"""Comments with @mentions on any record, and follows (followers hear of new comments)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from kith.core.errors import FieldError, KithError
from kith.engagement.models import Comment, Follow
from kith.engagement.records import record_get
from kith.engagement.services.about import record_fields_check
from kith.engagement.services.notifications import notification_create
from kith.identity.models import User

MENTION_RE = re.compile(r"(?<![\w@.])@([\w.+-]+)")

# Comments, mentions, follows ------------------------------------------------------------------


def mentioned_usernames(body: str) -> list[str]:
    """The @usernames in a comment, in order, without repeats."""
    seen: dict[str, None] = {}
    for name in MENTION_RE.findall(body):
        seen.setdefault(name.rstrip(".").lower(), None)
    return list(seen)


def _sees(user: User, record_model: str, record_id: int) -> bool:
    """Whether `user` may see the record: nobody is told about a record they cannot open."""
    try:
        record_get(user=user, record_model=record_model, record_id=record_id)
    except KithError:
        return False
    return True


@transaction.atomic
def comment_create(
    *, by: User, record_model: str, record_id: int, body: str, url: str = ""
) -> Comment:
    """Comment on a record `by` may see (NotFound otherwise); @mentioned users and the record's
    followers are notified (a link to `url`, default the record's page), and the author starts
    following it."""
    errors: dict[str, str] = {}
    record_fields_check(record_model, record_id, errors)
    if not body.strip():
        errors["body"] = _("Write a comment.")
    elif len(body) > 10_000:
        errors["body"] = _("The comment is too long.")
    if errors:
        raise FieldError(errors)
    ref = record_get(user=by, record_model=record_model, record_id=record_id)
    url = url or ref.url
    comment = Comment.objects.create(
        record_model=record_model, record_id=record_id, body=body.strip(), author=by
    )
    names = mentioned_usernames(body)
    mentioned = list(User.objects.filter(username__in=names, is_active=True)) if names else []
    mentioned = [
        u for u in mentioned if u.username.lower() in names and _sees(u, record_model, record_id)
    ]
    if mentioned:
        comment.mentions.set(mentioned)
    snippet = comment.body[:120]
    told: set[int] = {by.pk}
    for user in mentioned:
        if user.pk in told:
            continue
        told.add(user.pk)
        notification_create(
            recipient=user,
            kind="mention",
            text=_("%(user)s mentioned you: %(text)s") % {"user": by, "text": snippet},
            url=url,
            actor=by,
            record_model=record_model,
            record_id=record_id,
        )
    followers = User.objects.filter(
        pk__in=Follow.objects.filter(record_model=record_model, record_id=record_id).values(
            "user_id"
        ),
        is_active=True,
    ).exclude(pk__in=told)
    for user in followers:
        if not _sees(user, record_model, record_id):
            continue
        notification_create(
            recipient=user,
            kind="comment",
            text=_("%(user)s commented: %(text)s") % {"user": by, "text": snippet},
            url=url,
            actor=by,
            record_model=record_model,
            record_id=record_id,
        )
    Follow.objects.get_or_create(user=by, record_model=record_model, record_id=record_id)
    return comment


def follow_set(*, by: User, record_model: str, record_id: int, following: bool) -> bool:
    """Follow or stop following a record `by` may see (NotFound otherwise); returns whether the
    user now follows it. Followers are told of the record's new comments."""
    record_get(user=by, record_model=record_model, record_id=record_id)
    if following:
        Follow.objects.get_or_create(user=by, record_model=record_model, record_id=record_id)
    else:
        Follow.objects.filter(user=by, record_model=record_model, record_id=record_id).delete()
    return following
