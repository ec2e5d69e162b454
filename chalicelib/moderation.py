"""Moderating from the inbox: hide, show again or delete a customer's comment on its platform, then record it.

The platform is called first and the message changed only once it has done it, so the inbox never says hidden
what is still shown. Every action can be repeated safely: hiding a hidden comment calls nothing, a delete of a
comment already gone counts as done, and a change that meets another one is worked out again on the message as
it now is (the platform's state is the same either way): the platform's webhook of this very request, recorded
first, leaves the record to the person who asked (who, why), and an unhide it recorded first is done.
"""

from __future__ import annotations

from datetime import datetime

from .domain import moderation as rules
from .domain.errors import ConcurrentChange, ModerationNotDone, ReplyNotSent, WrongStatus
from .domain.workflow import REMOVED, Actor
from .platforms.send import get_sender
from .platforms.send.base import OutboundModeration, SendFailed
from .platforms.send.tokens import token_for
from .store import channels
from .store import messages as store
from .store.entities import StoredMessage

# SendFailed.kind -> (the answer's code, why, in words); what is not here is the platform refusing it
NOT_DONE = {
    "token_invalid": ("channel_token_invalid", "the channel's access token is expired or revoked"),
    "permission_denied": ("channel_permission_denied", "the channel's token lacks the permission to moderate "
                                                       "(Facebook pages_manage_engagement, Instagram "
                                                       "instagram_manage_comments, X tweet.moderate.write, a Telegram "
                                                       "admin allowed to delete)"),
    "token_missing": ("channel_token_missing", "no access token is configured for this channel"),
    "rate_limited": ("platform_rate_limited", "the platform asks to slow down"),
    "unavailable": ("platform_unavailable", "the platform did not answer; try again"),
    "timeout": ("platform_unavailable", "the platform did not answer in time; try again (doing it twice is safe)"),
}
CHANGE_ROUNDS = 4


def request_for(stored: StoredMessage, action: str) -> OutboundModeration:
    native, conversation_id = stored.id.partition(":")[2], stored.conversation_id
    if stored.platform == "telegram":  # telegram:<chat id>:<message id>
        chat, _, native = native.rpartition(":")
        conversation_id = f"telegram:{chat}"
    return OutboundModeration(platform=stored.platform, channel=stored.channel, account=stored.account,
                              message_id=native, conversation_id=conversation_id, action=action)


def refusal(failed: SendFailed, platform: str, account: str | None, now: datetime, reasons: dict[str, tuple[str, str]],
            error: type[ReplyNotSent], what: str) -> ReplyNotSent:
    """A platform's refusal of a moderation (or a ban) as the domain's error, by `reasons` (SendFailed.kind -> the
    answer's code and why); a bad token also marks the channel unhealthy, as a failed send does."""
    if failed.kind == "token_invalid":  # the channel's token is bad for everything, sends included
        channels.record_send(platform, account, now, ok=False, error_kind=failed.kind, error_message=failed.message)
    code, why = reasons.get(failed.kind, ("platform_rejected", "the platform refused it"))
    return error(f"{what}: {why} ({failed.message})", code=code, retry_after=failed.retry_after)


def _on_platform(stored: StoredMessage, action: str, now: datetime) -> None:
    try:
        get_sender(stored.platform).moderate(request_for(stored, action),
                                             token_for(stored.platform, stored.account))
    except SendFailed as failed:
        raise refusal(failed, stored.platform, stored.account, now, NOT_DONE, ModerationNotDone, "not done") from failed


def _ask_the_platform(stored: StoredMessage, action: str, now: datetime) -> None:
    """A delete marks the message first, so the platform's webhook of it, should it come before the delete is
    recorded, does not erase the text the team keeps (domain.privacy.DELETING_WINDOW); a refusal takes it off."""
    if action != rules.DELETE:
        _on_platform(stored, action, now)
        return
    store.mark_deleting(stored.id, now)
    try:
        _on_platform(stored, action, now)
    except ModerationNotDone:
        store.clear_deleting(stored.id)
        raise


def moderate(stored: StoredMessage, action: str, actor: Actor, reason: str | None, now: datetime) -> StoredMessage:
    """Do `action` (domain.moderation.ACTIONS) to a customer message on its platform and record it. `stored` is the
    message as just read, after the caller's scope check; the answer is the message as it now is."""
    rules.check_can_moderate(action, stored.platform, stored.channel, stored.direction, actor)
    called = False
    for round_ in range(CHANGE_ROUNDS):
        if called and action == rules.UNHIDE and stored.moderation is None:
            return stored  # shown again meanwhile (this unhide's own webhook, a double click): done, as asked
        if stored.status == REMOVED and stored.moderation is None and action == rules.HIDE:
            raise WrongStatus("the message was removed or hidden on the platform itself", code="already_removed")
        state = rules.next_state(action, stored.moderation)
        if state is None:
            if not (called and (stored.moderation or {}).get("by") == rules.BY_THE_PLATFORM):
                return stored  # already so: nothing to call, nothing to write
            state = stored.moderation["state"]  # this request's own webhook came first: the record is the team's
        if not called:
            _ask_the_platform(stored, action, now)
            called = True
        try:
            return store.moderate(stored, state, actor.id, reason, now)
        except ConcurrentChange:
            current = store.get_message(stored.id)
            if current is None or round_ == CHANGE_ROUNDS - 1:
                raise
            stored = current
    raise AssertionError("unreachable")

