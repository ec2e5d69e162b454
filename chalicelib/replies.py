"""Answering a conversation from the inbox: who may, to which message, within which window, sent once.

The reply is stored (`sending`) under the caller's idempotency key before the platform is called, so a retry
of the same request (a double click, a lost answer) finds it and never sends twice. What the platform answers
is recorded on the reply and on the channel's health.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from .config import get_settings
from .domain import reply_limits, reply_windows, whatsapp_templates, workflow
from .domain.errors import (InvalidRequest, OutsideReplyWindow, PrivateReplyAlreadySent, ReplyNotSent,
                            UnknownMessage)
from .domain.workflow import REMOVED, Actor
from .models import INBOUND
from .platforms.send import get_sender
from .platforms.send.base import OutboundReply, SendFailed
from .platforms.send.tokens import token_for
from .store import channels, conversations
from .store import replies as store
from .store.entities import MessageKeys, ReplyKeys, StoredMessage, iso, json_size, parse_iso
from .store.messages import get_message

# SendFailed.kind -> (the answer's code, why, in words)
NOT_SENT = {
    "token_invalid": ("channel_token_invalid", "the channel's access token is expired or revoked"),
    "permission_denied": ("channel_permission_denied", "the channel's token lacks the permission to send this"),
    "token_missing": ("channel_token_missing", "no access token is configured for this channel"),
    "recipient_unreachable": ("recipient_unreachable", "the platform cannot deliver to this person"),
    "rejected": ("platform_rejected", "the platform refused the reply"),
    "rate_limited": ("platform_rate_limited", "the platform asks to slow down"),
    "unavailable": ("platform_unavailable", "the platform did not answer; the reply can be sent again"),
    "timeout": ("reply_outcome_unknown", "the platform did not answer in time; the reply may have gone out"),
}


def conversation_for(conversation_id: str) -> conversations.ConversationItems:
    found = conversations.get_conversation(conversation_id, latest_replies=REPLIES_SHOWN)
    if found is None or found[0].status == REMOVED:
        raise UnknownMessage(f"no conversation {conversation_id!r}", code="unknown_conversation")
    return found


def _answerable(message: StoredMessage | None) -> bool:
    return message is not None and message.direction == INBOUND and message.status != REMOVED


def latest_customer_message(head: StoredMessage, page: tuple[list[StoredMessage], str | None]) -> StoredMessage | None:
    """The conversation's latest customer message, from its latest page (`members_page`): earlier pages are read,
    newest first, only while the pages read hold none of the customer's."""
    latest, earlier = page
    found = [m for m in latest if _answerable(m)]
    while not found and earlier is not None:
        latest, earlier = conversations.members_page(head.id, earlier)
        found = [m for m in latest if _answerable(m)]
    return found[-1] if found else (head if _answerable(head) else None)


def reply_target(head: StoredMessage, reply_to: str | None) -> StoredMessage:
    """The customer message answered: the one named, else the conversation's latest."""
    if reply_to is None:
        target = latest_customer_message(head, conversations.members_page(head.id))
        if target is None:
            raise InvalidRequest("the conversation has no customer message left to answer", code="nothing_to_answer")
        return target
    named = head if reply_to == head.id else get_message(reply_to)
    if _answerable(named) and (named is head or named.conversation == head.id):
        return named
    raise InvalidRequest("reply_to must name a customer message of this conversation", code="invalid_reply_to")


def window_for(head: StoredMessage, target: StoredMessage, now: datetime) -> reply_windows.ReplyWindow:
    last_inbound = parse_iso(head.last_inbound_at or head.received_at)
    return reply_windows.reply_window(target.platform, target.channel, last_inbound, now)


def outbound(target: StoredMessage, text: str, window: reply_windows.ReplyWindow, private: bool = False,
             quote: bool = True, choices: tuple[str, ...] = (), template: dict | None = None) -> OutboundReply:
    native = target.id.partition(":")[2]
    conversation_id = target.conversation_id
    if target.platform == "telegram":  # telegram:<chat id>:<message id>
        chat, _, native = native.rpartition(":")
        conversation_id = f"telegram:{chat}"
    return OutboundReply(platform=target.platform, channel=target.channel, account=target.account,
                         recipient_id=target.author.get("id", ""), reply_to_id=native,
                         conversation_id=conversation_id, text=text, messaging_type=window.messaging_type,
                         tag=window.tag, private=private, quote=quote, choices=choices, template=template)


def send(head: StoredMessage, actor: Actor, text: str, reply_to: str | None, idempotency_key: str,
         now: datetime, private: bool = False) -> store.StoredReply:
    """Send a reply through the conversation's platform, once per idempotency key. `head` is the conversation's
    head as just read (messages.conversation_head): its replies and notes are not needed, and may be hundreds.
    `private`: a DM to the author of the comment answered (Meta's Private Replies), once per comment."""
    workflow.check_can_act(head.id, head.status, head.claimed_by, head.lease_expiry, actor, now,
                           workflow.resolvable_from(actor))
    target = reply_target(head, reply_to)
    if private:
        window = reply_windows.check_private_reply_window(target.platform, target.channel,
                                                          parse_iso(target.created_at), now)
    else:
        window = reply_windows.check_reply_window(target.platform, target.channel,
                                                  parse_iso(head.last_inbound_at or head.received_at), now)
    reply_limits.check_text_length(target.platform, target.channel, text, private,
                                   get_settings().x_post_max_weight)
    draft = store.StoredReply(
        id=idempotency_key, conversation=head.id, text=text, reply_to=target.id, by=actor.id,
        platform=target.platform, account=target.account, created_at=iso(now), status=store.SENDING,
        request_hash=store.request_hash(text, target.id, private), messaging_type=window.messaging_type,
        private=True if private else None, by_time=bool(head.replies_by_time))
    reply, must_send = store.reserve(draft)
    if not must_send:
        return reply
    return _deliver(reply, head, target, window, now, private)


def send_automatic(head: StoredMessage, target: StoredMessage, text: str, idempotency_key: str, by: str,
                   now: datetime, quote: bool = True, choices: tuple[str, ...] = ()) -> store.StoredReply:
    """An automatic message (the away message, domain.away; the satisfaction survey, domain.surveys) to the
    customer's `target` message, once per key, `by` the system: nobody's claim is needed and it is not the
    conversation's answer. `quote`: WhatsApp and Telegram show `target` above it; `choices`: answers to tap
    (OutboundReply.choices). Raises as `send` does
    (OutsideReplyWindow, TextTooLong, ReplyNotSent)."""
    # no person writes it: Messenger's 7-day HUMAN_AGENT tag is not its to use
    window = reply_windows.check_reply_window(target.platform, target.channel,
                                              parse_iso(head.last_inbound_at or head.received_at), now, by_person=False)
    reply_limits.check_text_length(target.platform, target.channel, text, False, get_settings().x_post_max_weight)
    draft = store.StoredReply(
        id=idempotency_key, conversation=head.id, text=text, reply_to=target.id, by=by,
        platform=target.platform, account=target.account, created_at=iso(now), status=store.SENDING,
        request_hash=store.request_hash(text, target.id), messaging_type=window.messaging_type, automatic=True,
        by_time=bool(head.replies_by_time))
    reply, must_send = store.reserve(draft)
    if not must_send:
        return reply
    return _deliver(reply, head, target, window, now, quote=quote, choices=choices)


def send_template(head: StoredMessage, actor: Actor, saved: whatsapp_templates.Templates, name: str, language: str,
                  parameters: list[str], idempotency_key: str, now: datetime) -> store.StoredReply:
    """One of the `saved` WhatsApp templates (domain.whatsapp_templates) to the conversation's latest customer message,
    by whoever may answer it, once per idempotency key: a reply like any (the conversation's answer), but sent whether
    or not the 24-hour window is open, which is what templates are for."""
    workflow.check_can_act(head.id, head.status, head.claimed_by, head.lease_expiry, actor, now,
                           workflow.resolvable_from(actor))
    whatsapp_templates.check_platform(head.platform)
    template = saved.find(name, language)
    text = template.render(parameters)
    target = reply_target(head, None)
    window = window_for(head, target, now)
    sent = {"name": template.name, "language": template.language, "parameters": list(parameters)}
    draft = store.StoredReply(
        id=idempotency_key, conversation=head.id, text=text, reply_to=target.id, by=actor.id,
        platform=target.platform, account=target.account, created_at=iso(now), status=store.SENDING,
        request_hash=store.request_hash(f"template:{template.name}:{template.language}\n{text}", target.id),
        template=sent, by_time=bool(head.replies_by_time))
    reply, must_send = store.reserve(draft)
    if not must_send:
        return reply
    return _deliver(reply, head, target, window, now, quote=False)


def _deliver(reply: store.StoredReply, head: StoredMessage, target: StoredMessage, window: reply_windows.ReplyWindow,
             now: datetime, private: bool = False, quote: bool = True,
             choices: tuple[str, ...] = ()) -> store.StoredReply:
    """Send a reserved reply through its platform and record what the platform answered."""
    text = reply.text
    try:
        sender = get_sender(target.platform)
        receipt = sender.send(outbound(target, text, window, private, quote, choices, reply.template),
                              token_for(target.platform, target.account))
    except SendFailed as failed:
        store.mark_failed(reply, failed.kind, failed.message, failed.maybe_sent)
        if private and not failed.maybe_sent and failed.kind not in store.RETRYABLE_FAILURES | {"already_replied"}:
            store.release_private(reply)  # refused for good, nothing went out: a corrected one may be sent
        channels.record_send(target.platform, target.account, now, ok=False, error_kind=failed.kind,
                             error_message=failed.message)
        if failed.kind == "already_replied":  # sent from elsewhere (Business Suite, another tool)
            raise PrivateReplyAlreadySent(f"the platform says this comment already has its private reply "
                                          f"({failed.message})") from failed
        if failed.kind == "outside_window":
            raise OutsideReplyWindow(f"the platform says the 7 days for a private reply have passed "
                                     f"({failed.message})") from failed
        code, why = NOT_SENT.get(failed.kind, ("platform_rejected", "the platform refused the reply"))
        if failed.kind == "timeout" and not failed.maybe_sent:
            code, why = NOT_SENT["unavailable"]
        raise ReplyNotSent(f"not sent: {why} ({failed.message})", code=code, retry_after=failed.retry_after) from failed
    channels.record_send(target.platform, target.account, now, ok=True, error_kind=None, error_message=None)
    return store.mark_sent(reply, head, receipt.platform_message_id, now)


def _reply_cursor(head: StoredMessage, oldest_shown: dict) -> str:
    from .store.queue import encode_cursor  # the listings' opaque cursor, bound to this conversation

    return encode_cursor({"pk": {"S": MessageKeys.pk(head.id)}, "sk": {"S": conversations.reply_order(oldest_shown)}})


def earlier_replies(head: StoredMessage, cursor: str) -> tuple[list[dict], str | None]:
    """The replies before a cursor (the conversation's earlier_replies_cursor, or this listing's next_cursor),
    oldest first, within the bounds of the conversation's own answer; and the cursor of those before them."""
    from .store.queue import decode_cursor

    before = decode_cursor(cursor, MessageKeys.pk(head.id), "pk", frozenset({"pk", "sk"}),
                           ("sk", ReplyKeys.TIMED_PREFIX))["sk"]["S"]
    read = conversations.replies_before(head, before, REPLIES_SHOWN + 1)
    shown = latest_replies(read[:REPLIES_SHOWN][::-1])
    return shown, (_reply_cursor(head, shown[0]) if shown and len(read) > len(shown) else None)


class ConversationView(NamedTuple):
    """The conversation as an agent reads it (schemas.ConversationOut.of_conversation takes it as is)."""

    head: StoredMessage
    thread: list[StoredMessage]  # its first message, then its latest ones in order
    earlier: str | None  # the cursor of the messages between, None when all are shown
    replies: list[dict]  # the latest (latest_replies), oldest first
    window: reply_windows.ReplyWindow | None  # of its latest customer message; None when nothing is left to answer
    notes: list[dict]
    earlier_replies: int  # replies left out
    earlier_replies_cursor: str | None  # where earlier_replies reads on from
    text_limit: reply_limits.TextLimit | None = None  # the longest reply to its latest customer message
    private_text_limit: reply_limits.TextLimit | None = None  # the same privately, where a private reply is possible


def view(conversation_id: str, now: datetime) -> ConversationView:
    """The conversation as an agent reads it: its head, notes and latest replies (one or two Queries, see
    conversations.get_conversation) and one page of its messages."""
    head, replies, notes, reply_count = conversation_for(conversation_id)
    latest, earlier = page = conversations.members_page(head.id)
    target = latest_customer_message(head, page)
    window = window_for(head, target, now) if target is not None else None
    shown = latest_replies(replies)
    left_out = reply_count - len(shown)
    cursor = _reply_cursor(head, shown[0]) if left_out > 0 and shown else None
    limits = (None, None)
    if target is not None:
        x_weight = get_settings().x_post_max_weight
        private = reply_windows.offers_private_reply(target.platform, target.channel)
        limits = (reply_limits.limit_for(target.platform, target.channel, False, x_weight),
                  reply_limits.limit_for(target.platform, target.channel, True, x_weight) if private else None)
    return ConversationView(head, [head, *latest], earlier, shown, window, notes, left_out, cursor, *limits)


# The replies one read answers: the latest, within bounds of their own (a long-running conversation may have
# hundreds, each up to 4,000 characters).
REPLIES_SHOWN = 50
REPLY_TEXT_BYTES = 300_000


def latest_replies(replies: list[dict]) -> list[dict]:
    """The latest replies (oldest first) within REPLIES_SHOWN and REPLY_TEXT_BYTES of JSON text."""
    shown, spent = [], 0
    for reply in reversed(replies):
        size = json_size(reply.get("text"))
        if len(shown) == REPLIES_SHOWN or (shown and spent + size > REPLY_TEXT_BYTES):
            break
        shown.append(reply)
        spent += size
    return shown[::-1]
