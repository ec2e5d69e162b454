"""Meta webhooks: Facebook Page feed, Messenger, Instagram (comments and DMs) and WhatsApp Cloud API.

One endpoint serves them all (Meta signs every product with the app secret); the payload's
`object` tells them apart. GET is the `hub.challenge` subscription handshake.

Every message names the brand's `account` it was sent to (or from): the Page id or Instagram account id
(`entry.id`; in DMs the brand's side of sender/recipient) or the WhatsApp `phone_number_id`. The brand's
own comments and replies (`from` is the Page or Instagram account) and its DM echoes (`is_echo`) are
outbound messages, in the same thread as the customer's: a DM's `conversation_id` is
`<platform>:<account>:<customer id>` both ways (WhatsApp: `whatsapp:<wa_id>`). The brand's own posts
are skipped as `own_post`. Delivery reports (WhatsApp `statuses`, Messenger/Instagram `delivery` and
`read`) are STATUS events.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import BadRequest, Forbidden
from ..language import detect_language
from ..models import (DELIVERY_STATES, INBOUND, OUTBOUND, UNKNOWN_AUTHOR, Author, Channel, DeliveryStatus, EventKind,
                      InboundEvent, Message)
from .base import Batch, HandshakeResponse, PlatformAdapter, SecretLookup, WebhookRequest, check_signature, parse_json
from .timeutil import from_unix


def _id(value: Any) -> Any:
    # Graph ids arrive as strings or (in older Messenger payloads) as numbers; bool is not an id
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_id)]
Timestamp = Annotated[float, BeforeValidator(lambda v: float(v) if isinstance(v, str) and v.isdigit() else v)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class From(_Lenient):
    id: Id
    name: str | None = None
    username: str | None = None


class ChangeValue(_Lenient):
    # Page feed
    item: str | None = None
    verb: str | None = None
    comment_id: Id | None = None
    post_id: Id | None = None
    parent_id: Id | None = None
    message: str | None = None
    created_time: Timestamp | None = None
    # Instagram comments
    id: Id | None = None
    text: str | None = None
    media: dict[str, Any] | None = None
    media_id: Id | None = None
    # shared
    from_: From | None = Field(default=None, alias="from")
    # WhatsApp
    messaging_product: str | None = None
    metadata: dict[str, Any] | None = None
    contacts: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []


class Change(_Lenient):
    field: str
    value: ChangeValue | None = None


class Party(_Lenient):
    id: Id


class MessagingEvent(_Lenient):
    sender: Party
    recipient: Party
    timestamp: Timestamp | None = None
    message: dict[str, Any] | None = None
    message_edit: dict[str, Any] | None = None


class Entry(_Lenient):
    id: Id
    time: Timestamp | None = None
    changes: list[Change] = []
    messaging: list[MessagingEvent] = []


class MetaPayload(_Lenient):
    object: Literal["page", "instagram", "whatsapp_business_account"]
    entry: list[Entry]


_VISIBILITY_VERBS = {"remove": EventKind.REMOVE, "delete": EventKind.REMOVE, "hide": EventKind.HIDE,
                  "unhide": EventKind.UNHIDE}
CHALLENGE_PATTERN = r"^[0-9]{1,64}$"
# messaging events without a `message`: `read` and `delivery` are delivery reports, the rest are skipped by name
_RECEIPTS = ("read", "delivery", "reaction", "postback", "referral", "optin", "account_linking")
_RECEIPT_STATES = {"delivery": "delivered", "read": "read"}


class HubQuery(BaseModel):
    """The subscription handshake's query string, as Meta sends it."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    mode: Literal["subscribe"] = Field(alias="hub.mode")
    verify_token: str = Field(alias="hub.verify_token", min_length=1, max_length=1_000,
                              description="META_VERIFY_TOKEN, as entered in the App Dashboard")
    challenge: str = Field(alias="hub.challenge", pattern=CHALLENGE_PATTERN, description="echoed as text/plain")


class MetaAdapter(PlatformAdapter):
    route = "meta"
    secret_names = ("META_APP_SECRET", "META_VERIFY_TOKEN")
    payloads = (MetaPayload,)
    signature_headers = (("X-Hub-Signature-256", "sha256=<hex HMAC-SHA256(META_APP_SECRET, raw body)>"),)
    handshake_query = HubQuery

    def handshake(self, request: WebhookRequest, secret: SecretLookup) -> HandshakeResponse:
        # Meta's documented answer to a handshake that is not its own (mode, token) is 403
        token = request.query.get("hub.verify_token") or ""
        if request.query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), secret("META_VERIFY_TOKEN").encode()
        ):
            raise Forbidden("hub.mode must be subscribe and hub.verify_token must match", code="verification_failed")
        try:
            query = HubQuery.model_validate(dict(request.query))
        except ValidationError:  # Meta sends digits; echoing anything else would reflect input
            raise BadRequest("hub.challenge must be 1-64 digits, as Meta sends it", code="invalid_challenge") from None
        return HandshakeResponse(query.challenge, content_type="text/plain; charset=utf-8")

    def verify(self, request: WebhookRequest, secret: SecretLookup) -> None:
        check_signature(request.header("X-Hub-Signature-256"), secret("META_APP_SECRET"), request.body,
                        header="X-Hub-Signature-256")

    def parse(self, request: WebhookRequest) -> Batch:
        payload = parse_json(request.body, MetaPayload)
        batch = Batch()
        for entry in payload.entry:
            for change in entry.changes:
                if payload.object == "page":
                    _page_change(batch, entry, change)
                elif payload.object == "instagram":
                    _instagram_change(batch, entry, change)
                else:
                    _whatsapp_change(batch, change)
            for event in entry.messaging:
                _messaging(batch, "messenger" if payload.object == "page" else "instagram", entry, event)
        return batch


def _new(batch: Batch, kind: EventKind, **fields: Any) -> None:
    text = fields["text"]
    message = Message(language=detect_language(text), **fields)
    batch.events.append(InboundEvent(kind=kind, message_id=message.id, message=message))


def _remove(batch: Batch, message_id: str, kind: EventKind = EventKind.REMOVE) -> None:
    batch.events.append(InboundEvent(kind=kind, message_id=message_id))


def _status(batch: Batch, message_id: str, status: DeliveryStatus) -> None:
    batch.events.append(InboundEvent(kind=EventKind.STATUS, message_id=message_id, status=status))


def _shown(value: Any) -> str:
    """A payload value as it may appear in a skip reason (bounded: the reason is echoed in the answer)."""
    return str(value)[:64]


def _page_change(batch: Batch, entry: Entry, change: Change) -> None:
    value = change.value
    if change.field not in ("feed", "mention") or value is None:
        batch.skip(f"unsupported_field:{change.field}", entry.id)
        return
    native = value.comment_id or value.post_id
    if value.item not in ("comment", "post", "status", "photo", "video", "share") or not native:
        batch.skip(f"unsupported_item:{value.item}", native)
        return
    message_id = f"facebook:{native}"
    if value.verb in _VISIBILITY_VERBS:  # deleted, hidden or shown again (in Business Suite, by Facebook's filters)
        _remove(batch, message_id, _VISIBILITY_VERBS[value.verb])
        return
    outbound = value.from_ is not None and value.from_.id == entry.id  # the Page itself
    if outbound and value.item != "comment":
        batch.skip("own_post", native)  # the Page's own post starts no conversation
        return
    if not (value.message or "").strip():
        batch.skip("no_text", native)
        return
    if change.field == "mention":
        channel = Channel.MENTION
    elif value.item == "comment":
        channel = Channel.REPLY if value.parent_id and value.parent_id != value.post_id else Channel.COMMENT
    else:
        channel = Channel.POST
    _new(
        batch,
        EventKind.EDIT if value.verb == "edited" else EventKind.NEW,
        id=message_id,
        platform="facebook",
        channel=channel,
        author=_page_author(value),
        text=value.message,
        created_at=from_unix(value.created_time or entry.time or 0),
        parent_id=f"facebook:{value.parent_id}" if value.parent_id else None,
        thread_id=f"facebook:{value.post_id}" if value.post_id else None,
        account=entry.id,
        direction=OUTBOUND if outbound else INBOUND,
    )


def _page_author(value: ChangeValue) -> Author:
    """`from` when present; Page `mention` changes may name only `sender_id`/`sender_name`, or no one."""
    if value.from_ is not None:
        return Author(id=value.from_.id, name=value.from_.name)
    extra = value.model_extra or {}
    sender, name = _id(extra.get("sender_id")), extra.get("sender_name")
    if isinstance(sender, str) and sender:
        return Author(id=sender, name=name if isinstance(name, str) else None)
    return Author(id=UNKNOWN_AUTHOR)


def _instagram_change(batch: Batch, entry: Entry, change: Change) -> None:
    value = change.value
    if change.field == "mentions":
        # the payload carries only ids; the text needs a Graph API call we do not make on the hot path
        batch.skip("mention_without_text", value.comment_id if value else None)
        return
    if change.field not in ("comments", "live_comments") or value is None or not value.id:
        batch.skip(f"unsupported_field:{change.field}", entry.id)
        return
    if not (value.text or "").strip():
        batch.skip("no_text", value.id)
        return
    # the account's own comments are always on a media: replies to its public, never a post of its own
    outbound = value.from_ is not None and value.from_.id == entry.id
    media_id = (value.media or {}).get("id") or value.media_id
    _new(
        batch,
        EventKind.NEW,
        id=f"instagram:{value.id}",
        platform="instagram",
        channel=Channel.REPLY if value.parent_id else Channel.COMMENT,
        # the App Dashboard's Test button sends comments without `from`: triaged, author unknown
        author=Author(id=value.from_.id, handle=value.from_.username) if value.from_ else Author(id=UNKNOWN_AUTHOR),
        text=value.text,
        created_at=from_unix(entry.time or 0),
        parent_id=f"instagram:{value.parent_id}" if value.parent_id else None,
        thread_id=f"instagram:{media_id}" if media_id else None,
        account=entry.id,
        direction=OUTBOUND if outbound else INBOUND,
    )


def _brand_and_customer(entry: Entry, event: MessagingEvent, outbound: bool) -> tuple[str, str]:
    """(the brand's account, the customer) of a DM event.

    The brand's side is the one that is `entry.id` (the Page or Instagram account); should neither be, the
    direction decides as Meta documents it: an echo is sent by the brand, anything else is sent to it.
    """
    sender, recipient = event.sender.id, event.recipient.id
    if sender == entry.id or (recipient != entry.id and outbound):
        return sender, recipient
    return recipient, sender


def _messaging(batch: Batch, platform: str, entry: Entry, event: MessagingEvent) -> None:
    """Messenger and Instagram Direct share this shape: messages, echoes, edits and delivery reports."""
    created = from_unix(event.timestamp or entry.time or 0)
    if event.message_edit is not None:
        outbound = event.sender.id == entry.id
        account, customer = _brand_and_customer(entry, event, outbound)
        mid, text = event.message_edit.get("mid"), event.message_edit.get("text")
        if not isinstance(mid, str) or not mid:
            batch.skip("no_message_id", event.sender.id)
        elif isinstance(text, str) and text.strip():
            _new(batch, EventKind.EDIT, id=f"{platform}:{mid}", platform=platform, channel=Channel.DIRECT_MESSAGE,
                 author=Author(id=account if outbound else customer), text=text, created_at=created,
                 account=account, conversation_id=f"{platform}:{account}:{customer}",
                 direction=OUTBOUND if outbound else INBOUND)
        else:
            batch.skip("no_text", mid)
        return
    message = event.message
    if message is None:
        extra = event.model_extra or {}
        kind = next((k for k in _RECEIPTS if k in extra), "unknown")
        if kind in _RECEIPT_STATES:
            _receipt(batch, platform, entry, event, kind, extra[kind], created)
        else:
            batch.skip(kind, event.sender.id)
        return
    mid = message.get("mid")
    if not isinstance(mid, str) or not mid:
        batch.skip("no_message_id", event.sender.id)
        return
    if message.get("is_deleted"):
        _remove(batch, f"{platform}:{mid}")
        return
    # an echo: the brand's own message (sent from the inbox or through the Send API, whose answer is this mid)
    outbound = message.get("is_echo") is True or event.sender.id == entry.id
    account, customer = _brand_and_customer(entry, event, outbound)
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        batch.skip("no_text", mid)  # attachments, stickers, quick reactions
        return
    reply_to = message.get("reply_to") if isinstance(message.get("reply_to"), dict) else {}
    _new(batch, EventKind.NEW, id=f"{platform}:{mid}", platform=platform, channel=Channel.DIRECT_MESSAGE,
         author=Author(id=account if outbound else customer), text=text, created_at=created, account=account,
         conversation_id=f"{platform}:{account}:{customer}", direction=OUTBOUND if outbound else INBOUND,
         parent_id=f"{platform}:{reply_to['mid']}" if isinstance(reply_to.get("mid"), str) else None)


def _receipt(batch: Batch, platform: str, entry: Entry, event: MessagingEvent, kind: str, report: Any,
             created: datetime) -> None:
    """A `delivery` (mids and a watermark) or a `read` (Messenger: a watermark; Instagram: the mid read).

    The customer sends these about the brand's messages: one STATUS per mid, or, with a watermark only, one
    STATUS for everything sent to that customer up to it, with an id unique to the report.
    """
    account, customer = _brand_and_customer(entry, event, outbound=False)
    report = report if isinstance(report, dict) else {}
    raw_mids = report.get("mids") if isinstance(report.get("mids"), list) else [report.get("mid")]
    mids = [mid for mid in raw_mids if isinstance(mid, str) and mid]
    raw_watermark = report.get("watermark")
    watermark = from_unix(raw_watermark) if raw_watermark is not None else None
    if not mids and watermark is None:
        batch.skip(f"{kind}_without_mid_or_watermark", customer)
        return
    state = _RECEIPT_STATES[kind]

    def status(mid: str | None) -> DeliveryStatus:
        return DeliveryStatus(platform=platform, state=state, at=created, account=account, recipient_id=customer,
                              platform_message_id=mid, watermark=watermark)

    for mid in mids:
        _status(batch, f"{platform}:{mid}", status(mid))
    if not mids:
        assert watermark is not None
        milliseconds = round(watermark.timestamp() * 1000)
        _status(batch, f"{platform}:{kind}:{customer}:{milliseconds}", status(None))


_WHATSAPP_CAPTIONED = ("image", "video", "document")
_WHATSAPP_TAPS = ("list_reply", "button_reply")


def _field(container: Any, name: str) -> Any:
    return container.get(name) if isinstance(container, dict) else None


def _whatsapp_change(batch: Batch, change: Change) -> None:
    value = change.value
    if change.field != "messages" or value is None:
        batch.skip(f"unsupported_field:{change.field}")
        return
    phone_number_id = _id(_field(value.metadata, "phone_number_id"))
    account = phone_number_id if isinstance(phone_number_id, str) and phone_number_id else None
    for status in value.statuses:
        _whatsapp_status(batch, status, account)
    names = {}
    for contact in value.contacts:  # dicts (the payload model says so), with anything inside
        profile = contact.get("profile")
        if isinstance(contact.get("wa_id"), str) and isinstance(profile, dict):
            names[contact["wa_id"]] = profile.get("name")
    for raw in value.messages:
        wamid, sender, kind = raw.get("id"), raw.get("from"), raw.get("type")
        if not isinstance(wamid, str) or not isinstance(sender, str):
            batch.skip("no_message_id" if not isinstance(wamid, str) else "no_sender", wamid)
            continue
        if kind == "text":
            text = _field(raw.get("text"), "body")
        elif kind == "interactive":  # a tap on a list row or a reply button we sent: its title is what they said
            tapped = raw.get("interactive") if isinstance(raw.get("interactive"), dict) else {}
            text = _field(tapped.get(tapped.get("type")), "title") if tapped.get("type") in _WHATSAPP_TAPS else None
        elif kind == "button":  # a tap on a template's quick-reply button
            text = _field(raw.get("button"), "text")
        elif kind in _WHATSAPP_CAPTIONED:
            text = _field(raw.get(kind), "caption")
        else:
            reason = kind if kind in ("reaction", "unsupported", "system") else f"unsupported_type:{_shown(kind)}"
            batch.skip(reason, wamid)
            continue
        if not isinstance(text, str) or not text.strip():
            batch.skip("no_text", wamid)
            continue
        context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
        name = names.get(sender)
        _new(
            batch,
            EventKind.NEW,
            id=f"whatsapp:{wamid}",
            platform="whatsapp",
            channel=Channel.DIRECT_MESSAGE,
            author=Author(id=sender, handle=sender, name=name if isinstance(name, str) else None),
            text=text,
            created_at=from_unix(raw.get("timestamp") or 0),
            conversation_id=f"whatsapp:{sender}",
            parent_id=f"whatsapp:{context['id']}" if isinstance(context.get("id"), str) else None,
            account=account,
        )


def _whatsapp_status(batch: Batch, raw: dict[str, Any], account: str | None) -> None:
    """One of `statuses[]`: what became of a message the business sent (its wamid)."""
    wamid, state, timestamp = raw.get("id"), raw.get("status"), raw.get("timestamp")
    if not isinstance(wamid, str) or not wamid:
        batch.skip("no_message_id")
        return
    if state not in DELIVERY_STATES:  # e.g. "deleted", "warning"
        batch.skip(f"unsupported_status:{_shown(state)}", wamid)
        return
    if timestamp is None:
        batch.skip("no_timestamp", wamid)
        return
    recipient = _id(raw.get("recipient_id"))
    errors = raw.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    error = ": ".join(str(part) for part in (first.get("code"), first.get("title")) if part not in (None, ""))
    error = error[:500].encode("utf-8", "replace").decode("utf-8")  # stored text: no lone surrogate
    status = DeliveryStatus(platform="whatsapp", state=state, at=from_unix(timestamp), account=account,
                            recipient_id=recipient if isinstance(recipient, str) and recipient else None,
                            platform_message_id=wamid, error=error or None)
    _status(batch, f"whatsapp:{wamid}", status)
