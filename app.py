"""social-triage HTTP API: thin routes over the domain modules in chalicelib/.

Every route is declared in `routes` (chalicelib/routing.py) with its contract: the models it parses and
answers with, who may call it and the errors it can answer; GET /openapi.json is generated from that table.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime, timedelta, timezone

from chalice import Chalice, CORSConfig, Rate, Response

from chalicelib import (auth, automatic_replies, away, bulk, business_hours, ingest, observability, routing_rules,
                        snapstart, stats, surveys, whatsapp_templates)
from chalicelib.config import get_settings
from chalicelib.domain import errors as domain
from chalicelib.domain.whatsapp_templates import Template
from chalicelib.domain.workflow import Actor
from chalicelib.errors import (ApiError, BadGateway, BadRequest, Conflict, FailedDependency, Forbidden, NotFound,
                               PayloadTooLarge, TooManyRequests, Unprocessable)
from chalicelib.platforms import HANDSHAKES, REGISTRY, WebhookRequest
from chalicelib.routing import CSV, JSON, PUBLIC, TEXT, RouteTable
from chalicelib.schemas import (AssignCreate, AwayMessageOut, AwayMessageUpdate, BusinessHoursOut,
                                BusinessHoursUpdate, BlockCreate, BlockOut, BlockQuery, BlocksOut, BlocksQuery, BulkCreate, BulkOut, BulkResultOut, ClaimCreate, ClaimOut,
                                ConversationOut, ConversationPage, CrcOut, CustomerConversationOut,
                                CustomerConversationsOut, CustomerDataOut, CustomerDataQuery, CustomerOut, CustomerQuery,
                                EarlierQuery, EarlierRepliesQuery,
                                ErasureCreate, ErasureOut, FilterQuery, HealthOut, IngestOut, IssuedKeyOut, KeyCreate, KeysOut, ListQuery,
                                MessageOut, MessagePage, ModerationCreate,
                                NoteCreate, NoteOut, PeopleStatsOut, PeopleStatsQuery, QueuesOut, ReopenCreate,
                                ReplyCreate, ReplyOut, ReplyPage, RerouteCreate, ResolveCreate, RoutingRulesOut, RoutingRulesUpdate,
                                SavedRepliesOut,
                                SavedReplyCreate, SavedReplyOut, SavedReplyUpdate, SnoozeCreate, SpikesOut, SpikesQuery,
                                StatsOut, StatsQuery, SurveyOut, SurveyUpdate, TagsChange, TagsOut, TakeCreate, TeamMemberOut, TeamOut,
                                TemplateReplyCreate, UnblockOut, WhatsAppTemplatesOut, WhatsAppTemplatesUpdate)
from chalicelib.store import blocks, conversations, customers, messages, notes, queue, saved_replies, tags
from chalicelib.store.entities import StoredSavedReply, iso

app = Chalice(app_name="social-triage", configure_logs=False)  # Powertools writes the (JSON) logs
snapstart.register()  # under Lambda SnapStart: load everything before the snapshot, refresh after each restore
app.api.binary_types = []  # webhook bodies are JSON text; keep API Gateway from base64-wrapping them
if get_settings().cors_origin:
    # read at import: `chalice package` turns it into API Gateway OPTIONS methods (deployment configuration)
    app.api.cors = CORSConfig(allow_origin=get_settings().cors_origin, allow_headers=["Authorization"], max_age=600)
MANAGERS = ("manager", "admin")
ADMINS = ("admin",)


# what the domain refuses, as HTTP
DOMAIN_ERRORS: dict[type[domain.DomainError], type[ApiError]] = {
    domain.UnknownMessage: NotFound,
    domain.WrongStatus: Conflict,
    domain.SameQueue: Conflict,
    domain.ConcurrentChange: Conflict,
    domain.NotClaimHolder: Forbidden,
    domain.InvalidRequest: BadRequest,
    domain.InvalidAssignee: Unprocessable,
    domain.IdempotencyKeyReused: Conflict,
    domain.OutsideReplyWindow: Unprocessable,
    domain.PrivateReplyUnsupported: Unprocessable,
    domain.TextTooLong: Unprocessable,
    domain.PrivateReplyAlreadySent: Conflict,
    domain.PublicBulkReply: Unprocessable,
    domain.ModerationUnsupported: Unprocessable,
    domain.NotAllowed: Forbidden,
    domain.UnknownSavedReply: NotFound,
    domain.SavedRepliesFull: Conflict,
    domain.NotesFull: Conflict,
    domain.TooManyTags: Conflict,
    domain.UnknownBlock: NotFound,
    domain.BanUnsupported: Unprocessable,
    domain.UnknownAuthor: NotFound,
    domain.BusinessHoursNotSet: Unprocessable,
    domain.AwayTextTooLong: Unprocessable,
    domain.SurveyTextTooLong: Unprocessable,
    domain.RuleReplyTooLong: Unprocessable,
    domain.UnknownTemplate: Unprocessable,
    domain.TemplateUnsupported: Unprocessable,
}
# why a reply was not sent (its code) -> the answer's status
REPLY_NOT_SENT = {"channel_token_invalid": FailedDependency, "channel_permission_denied": FailedDependency,
                  "channel_token_missing": FailedDependency, "recipient_unreachable": Unprocessable,
                  "platform_rejected": Unprocessable, "platform_rate_limited": TooManyRequests}


def http_error(error: domain.DomainError) -> ApiError:
    if isinstance(error, domain.ReplyNotSent):
        status = REPLY_NOT_SENT.get(error.code, BadGateway)
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return status(error.message, code=error.code, headers=headers)
    status = next(http for kind, http in DOMAIN_ERRORS.items() if isinstance(error, kind))
    return status(error.message, code=error.code)


def domain_errors(view):
    """The view's domain refusals as HTTP errors (Chalice hands only its own error types to the middleware)."""
    @functools.wraps(view)
    def mapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except domain.DomainError as refused:
            raise http_error(refused) from refused
    return mapped


routes = RouteTable(app, around=domain_errors)  # every handler's domain refusals answer as HTTP errors


def error_response(error: ApiError) -> Response:
    return Response(body=error.body(), status_code=error.status,
                    headers={"Content-Type": JSON, **error.headers})


@app.middleware("http")
def errors_and_request_log(event, get_response):
    """ApiErrors become JSON error responses; every request gets one structured log line."""
    started, status, error = time.perf_counter(), 500, None
    path = (event.context or {}).get("resourcePath", event.path)
    try:
        check_body_size(event)
        response = in_error_shape(get_response(event))
        status = response.status_code
        return with_security_headers(response)
    except ApiError as exc:
        status, error = exc.status, exc.code
        return with_security_headers(error_response(exc))
    finally:
        context = event.context or {}
        observability.log_request(
            path, status, (time.perf_counter() - started) * 1000,
            method=event.method, request_id=context.get("requestId"), error=error,
            platform=path.rsplit("/", 1)[-1] if path.startswith("/webhooks/") else None,
        )


def in_error_shape(response: Response) -> Response:
    """Chalice's own answers (405 for a method the path lacks, 500) in our error shape."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code = "method_not_allowed" if response.status_code == 405 else "internal_error"
        return Response(body={"error": {"code": code, "message": body["Message"]}}, status_code=response.status_code,
                        headers={**response.headers, "Content-Type": JSON})
    return response


# Every answer is private, per-caller data or a secret shown once (a new API key): never cached, never
# sniffed into another content type, never sent on as a referrer.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def with_security_headers(response: Response) -> Response:
    response.headers = {**SECURITY_HEADERS, **(response.headers or {})}
    return response


def check_body_size(request) -> None:
    """Every route refuses bodies over the limit (API Gateway allows 10 MB) before anything reads them."""
    limit = get_settings().max_body_bytes
    size = len(request.raw_body or b"")
    if size > limit:
        raise PayloadTooLarge(f"body is {size} bytes; the limit is {limit}")


def now():
    return datetime.now(timezone.utc)


@routes.route("GET", "/health", "liveness", response=HealthOut, roles=PUBLIC)
def health():
    return HealthOut()


@routes.route("GET", "/openapi.json", "this document", response={JSON: {"type": "object"}}, roles=PUBLIC)
def openapi_document():
    from chalicelib import openapi  # imported and built on the first request, then cached per container

    return openapi.document(routes)


# webhooks ------------------------------------------------------------------------------------------

def webhook_request() -> WebhookRequest:
    request = app.current_request
    return WebhookRequest(
        body=request.raw_body or b"",
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params or {}),
    )


@routes.route("GET", "/webhooks/meta", "Meta's subscription handshake: answers hub.challenge", roles=PUBLIC,
              webhook="meta", response={TEXT: {"type": "string"}}, errors=(400, 403, 503))
def meta_handshake():
    answer = ingest.handshake("meta", webhook_request())
    return Response(body=answer.body, status_code=200, headers={"Content-Type": answer.content_type})


@routes.route("GET", "/webhooks/x", "X's CRC check: answers crc_token signed with the consumer secret",
              roles=PUBLIC, webhook="x", response=CrcOut, errors=(400, 503))
def x_crc():
    return CrcOut.model_validate(ingest.handshake("x", webhook_request()).body)


assert set(HANDSHAKES) == {"meta", "x"}, "each handshake has its route above"


def _receiver(platform: str):
    def receive():
        return IngestOut.model_validate(ingest.ingest(platform, webhook_request()).summary())

    receive.__name__ = receive.__qualname__ = f"receive_{platform}"
    return receive


for _platform in REGISTRY:
    routes.route("POST", f"/webhooks/{_platform}",
                 f"receive a signed {_platform} webhook: verify, triage and store each message", roles=PUBLIC,
                 webhook=_platform, response=IngestOut, errors=(400, 401, 413, 415, 503))(_receiver(_platform))


# agents' queues ------------------------------------------------------------------------------------

@routes.route("GET", "/queues", "the caller's queues: open, claimed, snoozed, needs_review, oldest open", response=QueuesOut,
              errors=(503,))
def queues_overview(caller):
    return QueuesOut(queues=[queue.queue_overview(q, now()) for q in caller.visible_queues()])


def acting(caller) -> Actor:
    return Actor(caller.actor, may_override=caller.is_manager)


@routes.route("GET", "/queues/{name}/messages", "a page of a queue, highest priority first, then oldest",
              query=ListQuery, response=MessagePage, errors=(403, 404, 503))
def queue_messages(name, caller, query: ListQuery):
    auth.require_queue(caller, name)
    items, cursor = queue.list_messages(name, query.status, query.limit, query.cursor, query.only())
    return MessagePage(messages=[MessageOut.of(i) for i in items], next_cursor=cursor)


@routes.route("POST", "/queues/{name}/claim", "claim up to count messages with a lease", body=ClaimCreate,
              body_required=False, response=ClaimOut, errors=(403, 404, 503))
def queue_claim(name, caller, body: ClaimCreate):
    auth.require_queue(caller, name)
    claimed = queue.claim(name, acting(caller), body.count, body.lease_seconds, now())
    return ClaimOut(claimed=[MessageOut.of(i) for i in claimed])


def _working(caller, message_id):
    """The conversation the caller acts on, after the queue-scope check: the message's own when it opened one,
    else the conversation it belongs to."""
    stored = messages.get_message(message_id)
    if stored is not None and stored.is_member:
        stored = messages.get_message(stored.conversation)
    if stored is None or not caller.can_work(stored.queue):
        # an agent outside the message's queue learns nothing about it
        raise NotFound(f"no message {message_id!r}", code="unknown_message")
    return stored


def _reading(caller, message_id):
    """A message as stored (a conversation's later message too), after the queue-scope check of its conversation."""
    stored = messages.get_message(message_id)
    head = messages.get_message(stored.conversation) if stored is not None and stored.is_member else stored
    if stored is None or head is None or not caller.can_work(head.queue):
        raise NotFound(f"no message {message_id!r}", code="unknown_message")
    return stored


@routes.route("GET", "/messages/{message_id}", "a message with its triage, history and corrections",
              response=MessageOut, errors=(404, 503))
def message_detail(message_id, caller):
    return MessageOut.of(_reading(caller, message_id), with_history=True)


@routes.route("POST", "/messages/{message_id}/release", "give a claimed message back to its queue",
              response=MessageOut, errors=(403, 404, 409, 503))
def message_release(message_id, caller):
    stored = _working(caller, message_id)
    return MessageOut.of(_acting_on(caller, stored.id, lambda head: queue.release(head, acting(caller), now()), stored))


@routes.route("POST", "/messages/{message_id}/snooze", "set a claimed message aside until a time; it reopens then",
              body=SnoozeCreate, response=MessageOut, errors=(403, 404, 409, 503))
def message_snooze(message_id, caller, body: SnoozeCreate):
    stored = _working(caller, message_id)
    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=timezone.utc)
    return MessageOut.of(_acting_on(caller, stored.id, lambda head: queue.snooze(head, acting(caller), until, now()), stored))


@routes.route("POST", "/messages/{message_id}/resolve", "resolve a message", body=ResolveCreate, body_required=False,
              response=MessageOut, errors=(403, 404, 409, 503))
def message_resolve(message_id, caller, body: ResolveCreate):
    stored = _working(caller, message_id)
    return MessageOut.of(_acting_on(caller, stored.id,
                                    lambda head: queue.resolve(head, acting(caller), body.note, now()), stored))


@routes.route("POST", "/messages/{message_id}/reroute", "move a message to another queue (recorded as a correction)",
              body=RerouteCreate, response=MessageOut, errors=(403, 404, 409, 503))
def message_reroute(message_id, caller, body: RerouteCreate):
    stored = _working(caller, message_id)
    return MessageOut.of(_acting_on(caller, stored.id, lambda head: queue.reroute(
        head, acting(caller), body.queue, body.reason, now()), stored))


@routes.route("POST", "/messages/{message_id}/moderation",
              "hide, show again or delete a customer's comment on its platform (hide and unhide: anyone who works its "
              "queue; delete: managers and admins); a hidden or deleted message leaves the queues",
              body=ModerationCreate, response=MessageOut, errors=(403, 404, 409, 422, 424, 429, 502, 503))
def message_moderation(message_id, caller, body: ModerationCreate):
    from chalicelib import moderation

    stored = _reading(caller, message_id)
    return MessageOut.of(moderation.moderate(stored, body.action, acting(caller), body.reason, now()),
                         with_history=True)


# conversations: the queue item -------------------------------------------------------------------------

@routes.route("GET", "/queues/{name}/conversations", "a page of a queue's conversations, highest priority first, then oldest",
              query=ListQuery, response=ConversationPage, errors=(403, 404, 503))
def queue_conversations(name, caller, query: ListQuery):
    auth.require_queue(caller, name)
    items, cursor = queue.list_messages(name, query.status, query.limit, query.cursor, query.only())
    return ConversationPage(conversations=[MessageOut.of(i) for i in items], next_cursor=cursor)


@routes.route("GET", "/me/conversations", "the conversations the caller holds (claimed, in every queue they work), "
              "highest priority first, then oldest", query=FilterQuery, response=ConversationPage, errors=(503,))
def my_conversations(caller, query: FilterQuery):
    held, left_out = queue.held_by(caller.actor, caller.visible_queues(), query.only())
    return ConversationPage(conversations=[MessageOut.of(i) for i in held], next_cursor=None, left_out=left_out or None)


def _conversation(caller, conversation_id):
    """The conversation the caller works on, after the queue-scope check (nothing about others' queues leaks)."""
    return messages.conversation_head(conversation_id, caller.can_work)


def _acting_on(caller, conversation_id, act, read=None):
    """A change of the conversation as it is now (`read`: its head, just read), worked out again when it meets
    another (messages.on_conversation)."""
    return messages.on_conversation(conversation_id, caller.can_work, act, read)


@routes.route("GET", "/conversations/{conversation_id}",
              "a conversation: its state, its first and latest messages in order (with triage and history), its replies "
              "and reply window",
              response=ConversationOut, errors=(404, 503))
def conversation_detail(conversation_id, caller):
    from chalicelib import replies

    _conversation(caller, conversation_id)
    return ConversationOut.of_conversation(*replies.view(conversation_id, now()))


@routes.route("GET", "/conversations/{conversation_id}/messages",
              "a conversation's messages before a cursor (its earlier_cursor), oldest first; next_cursor: earlier still",
              query=EarlierQuery, response=MessagePage, errors=(400, 403, 404, 503))
def conversation_earlier(conversation_id, caller, query: EarlierQuery):
    page, cursor = conversations.members_page(_conversation(caller, conversation_id).id, query.cursor)
    return MessagePage(messages=[MessageOut.of(m, with_history=True) for m in page], next_cursor=cursor)


@routes.route("GET", "/conversations/{conversation_id}/replies",
              "a conversation's replies before a cursor (its earlier_replies_cursor), oldest first; next_cursor: "
              "earlier still", query=EarlierRepliesQuery, response=ReplyPage, errors=(400, 403, 404, 503))
def conversation_earlier_replies(conversation_id, caller, query: EarlierRepliesQuery):
    from chalicelib import replies

    page, cursor = replies.earlier_replies(_conversation(caller, conversation_id), query.cursor)
    return ReplyPage(replies=[ReplyOut.of(r) for r in page], next_cursor=cursor)


@routes.route("GET", "/conversations/{conversation_id}/customer",
              "who opened the conversation and the other conversations they opened, newest first (those in queues the "
              "caller works)", query=CustomerQuery, response=CustomerConversationsOut, errors=(400, 404, 503))
def conversation_customer(conversation_id, caller, query: CustomerQuery):
    head = _conversation(caller, conversation_id)
    page, cursor = customers.other_conversations(head, caller.can_work, query.cursor)
    block = blocks.of_author(head.platform, (head.author or {}).get("id"), now())
    return CustomerConversationsOut(customer=CustomerOut.of(head), blocked=BlockOut.of(block) if block else None,
                                    conversations=[CustomerConversationOut.of(c) for c in page], next_cursor=cursor)


@routes.route("POST", "/conversations/{conversation_id}/claim",
              "take this conversation: claim it with a lease (open, snoozed or with an expired lease; yours: unchanged)",
              body=TakeCreate, body_required=False, response=MessageOut, errors=(403, 404, 409, 503))
def conversation_claim(conversation_id, caller, body: TakeCreate):
    return MessageOut.of(_acting_on(caller, conversation_id,
                                    lambda head: queue.take(head, acting(caller), body.lease_seconds, now())))


@routes.route("POST", "/conversations/{conversation_id}/assign", "hand the conversation to a person who works its "
              "queue: claimed for them with a lease (manager, admin; open, snoozed or claimed by anyone)",
              roles=MANAGERS, body=AssignCreate, response=MessageOut, errors=(403, 404, 409, 422, 503))
def conversation_assign(conversation_id, caller, body: AssignCreate):
    at, assignee = now(), auth.person(body.key_id)
    return MessageOut.of(_acting_on(caller, conversation_id, lambda head: queue.assign(
        head, assignee, acting(caller), at + timedelta(seconds=body.lease_seconds), at)))


@routes.route("POST", "/conversations/{conversation_id}/release", "give a claimed conversation back to its queue",
              response=MessageOut, errors=(403, 404, 409, 503))
def conversation_release(conversation_id, caller):
    return MessageOut.of(_acting_on(caller, conversation_id, lambda head: queue.release(head, acting(caller), now())))


@routes.route("POST", "/conversations/{conversation_id}/snooze",
              "set a claimed conversation aside until a time; it reopens then (or on a new customer message)",
              body=SnoozeCreate, response=MessageOut, errors=(403, 404, 409, 503))
def conversation_snooze(conversation_id, caller, body: SnoozeCreate):
    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=timezone.utc)
    return MessageOut.of(_acting_on(caller, conversation_id,
                                    lambda head: queue.snooze(head, acting(caller), until, now())))


@routes.route("POST", "/conversations/{conversation_id}/resolve", "resolve a conversation", body=ResolveCreate,
              body_required=False, response=MessageOut, errors=(403, 404, 409, 503))
def conversation_resolve(conversation_id, caller, body: ResolveCreate):
    return MessageOut.of(_acting_on(caller, conversation_id,
                                    lambda head: queue.resolve(head, acting(caller), body.note, now())))


@routes.route("POST", "/conversations/{conversation_id}/reopen",
              "open a resolved conversation again (one resolved by mistake): open and unclaimed in its queue "
              "(agent of its queue, manager, admin)", body=ReopenCreate, body_required=False, response=MessageOut,
              errors=(404, 409, 503))
def conversation_reopen(conversation_id, caller, body: ReopenCreate):
    return MessageOut.of(_acting_on(caller, conversation_id,
                                    lambda head: queue.reopen(head, acting(caller), body.reason, now())),
                         with_history=True)


@routes.route("POST", "/conversations/{conversation_id}/reroute",
              "move a conversation to another queue (recorded as a correction of its first message)",
              body=RerouteCreate, response=MessageOut, errors=(403, 404, 409, 503))
def conversation_reroute(conversation_id, caller, body: RerouteCreate):
    return MessageOut.of(_acting_on(caller, conversation_id,
                                    lambda head: queue.reroute(head, acting(caller), body.queue, body.reason, now())))


@routes.route("POST", "/conversations/{conversation_id}/replies",
              "answer the conversation through its platform (claim holder or manager), sent once per idempotency key",
              body=ReplyCreate, status=201, response=ReplyOut, errors=(400, 403, 404, 409, 422, 424, 429, 502, 503))
def conversation_reply(conversation_id, caller, body: ReplyCreate):
    from chalicelib import replies

    head = _conversation(caller, conversation_id)
    sent = replies.send(head, acting(caller), body.text, body.reply_to, body.idempotency_key, now(), body.private)
    return ReplyOut.of(sent)


@routes.route("POST", "/conversations/{conversation_id}/template-replies",
              "send a WhatsApp template Meta approved (GET /whatsapp-templates), its parameters filled in (claim holder "
              "or manager), also after the 24 hours in which nothing else may be sent; once per idempotency key",
              body=TemplateReplyCreate, status=201, response=ReplyOut,
              errors=(400, 403, 404, 409, 422, 424, 429, 502, 503))
def conversation_template_reply(conversation_id, caller, body: TemplateReplyCreate):
    head = _conversation(caller, conversation_id)
    sent = whatsapp_templates.send(head, acting(caller), body.name, body.language, body.parameters,
                                   body.idempotency_key, now())
    return ReplyOut.of(sent)


@routes.route("POST", "/conversations/bulk", "resolve, release, re-route, tag, assign, reopen, hide or unhide (on the "
              "platform), or reply to (and resolve) up to 50 conversations, each by the rules of the single action, "
              "each with its own outcome", body=BulkCreate, response=BulkOut, errors=(503,))
def conversations_bulk(caller, body: BulkCreate):
    asked = body.root
    at = now()
    assignee = auth.person(asked.key_id) if asked.action == "assign" else None
    lease_expires = at + timedelta(seconds=asked.lease_seconds) if asked.action == "assign" else None
    outcomes = bulk.apply(caller, asked.action, asked.conversation_ids, at, note=getattr(asked, "note", None),
                          to_queue=getattr(asked, "queue", None), reason=getattr(asked, "reason", None),
                          add=tuple(getattr(asked, "add", ())), remove=tuple(getattr(asked, "remove", ())),
                          assignee=assignee, lease_expires=lease_expires, text=getattr(asked, "text", None),
                          idempotency_key=getattr(asked, "idempotency_key", None),
                          then_resolve=getattr(asked, "resolve", False))
    done = sum(o.outcome == bulk.DONE for o in outcomes)
    return BulkOut(results=[BulkResultOut(**o.__dict__) for o in outcomes], done=done, refused=len(outcomes) - done)


@routes.route("POST", "/conversations/{conversation_id}/notes", "add an internal note for the team (never sent to "
              "the customer); the same idempotency key again is the same note", body=NoteCreate, status=201,
              response=NoteOut, errors=(404, 409, 503))
def conversation_note(conversation_id, caller, body: NoteCreate):
    head = _conversation(caller, conversation_id)
    note, _ = notes.add(notes.StoredNote(body.idempotency_key, head.id, body.text, caller.actor, iso(now())))
    return NoteOut.of(note)


@routes.route("POST", "/conversations/{conversation_id}/tags", "add and remove the conversation's tags (anyone "
              "who may read it, in any state); answers all its tags", body=TagsChange, response=TagsOut,
              errors=(404, 409, 503))
def conversation_tags(conversation_id, caller, body: TagsChange):
    tagged = _acting_on(caller, conversation_id, lambda head: tags.retag(head, caller.actor, body.add, body.remove, now()))
    return TagsOut(conversation=tagged.id, tags=tagged.tags or [])


# saved replies: approved answers agents insert (Zendesk macros, Chatwoot canned responses) -------------------

@routes.route("GET", "/saved-replies", "the saved replies the caller may use (for a queue they work, or for every "
              "queue), by title", response=SavedRepliesOut, errors=(503,))
def saved_replies_list(caller):
    return SavedRepliesOut(saved_replies=[SavedReplyOut.of(s) for s in saved_replies.usable_by(caller.can_work)])


@routes.route("POST", "/saved-replies", "save a reply for agents to use (manager, admin)", roles=MANAGERS,
              body=SavedReplyCreate, status=201, response=SavedReplyOut, errors=(409, 503))
def saved_replies_create(caller, body: SavedReplyCreate):
    created = StoredSavedReply.new(body.title, body.text, body.queues, body.language, caller.actor, iso(now()))
    return SavedReplyOut.of(saved_replies.create(created))


@routes.route("PUT", "/saved-replies/{saved_reply_id}", "change a saved reply at the revision read (manager, admin)",
              roles=MANAGERS, body=SavedReplyUpdate, response=SavedReplyOut, errors=(404, 409, 503))
def saved_replies_update(saved_reply_id, caller, body: SavedReplyUpdate):
    return SavedReplyOut.of(saved_replies.update(saved_reply_id, body.rev, body.title, body.text, body.queues,
                                                 body.language, caller.actor, iso(now())))


@routes.route("DELETE", "/saved-replies/{saved_reply_id}", "delete a saved reply (manager, admin)", roles=MANAGERS,
              status=204, response=None, errors=(404, 503))
def saved_replies_delete(saved_reply_id, caller):
    saved_replies.delete(saved_reply_id)
    return Response(body="", status_code=204)


# the away message: sent to direct messages outside business hours (Chatwoot's out-of-office message) ----------

@routes.route("GET", "/away-message", "the away message and the business hours it follows", response=AwayMessageOut,
              errors=(503,))
def away_message(caller):
    return AwayMessageOut.of(away.current(), away.schedule(), now())


@routes.route("PUT", "/away-message", "change the away message at the revision read (manager, admin)",
              roles=MANAGERS, body=AwayMessageUpdate, response=AwayMessageOut, errors=(409, 422, 503))
def away_message_change(caller, body: AwayMessageUpdate):
    changed = away.change(acting(caller), body.enabled, body.text, body.translations, body.rev, now())
    return AwayMessageOut.of(changed, away.schedule(), now())


# the satisfaction survey: a rating asked for once a direct-message conversation is resolved (Zendesk's CSAT) ------

@routes.route("GET", "/satisfaction-survey", "the satisfaction survey sent when a conversation is resolved",
              response=SurveyOut, errors=(503,))
def satisfaction_survey(caller):
    return SurveyOut.of(surveys.current())


@routes.route("PUT", "/satisfaction-survey", "change the satisfaction survey at the revision read (manager, admin)",
              roles=MANAGERS, body=SurveyUpdate, response=SurveyOut, errors=(409, 422, 503))
def satisfaction_survey_change(caller, body: SurveyUpdate):
    return SurveyOut.of(surveys.change(acting(caller), body.enabled, body.text, body.translations, body.rev, now(),
                                       body.follow_up, body.follow_up_translations))


# business hours: when the brand is open (the SLAs count open time; the away message is sent outside them) --------

@routes.route("GET", "/business-hours", "the business hours in force and where they come from", response=BusinessHoursOut,
              errors=(503,))
def business_hours_read(caller):
    return BusinessHoursOut(**vars(business_hours.current(now())))


@routes.route("PUT", "/business-hours", "change the business hours at the revision read (manager, admin)",
              roles=MANAGERS, body=BusinessHoursUpdate, response=BusinessHoursOut, errors=(400, 409, 503))
def business_hours_change(caller, body: BusinessHoursUpdate):
    changed = business_hours.change(acting(caller), body.hours, body.timezone, body.holidays, body.rev, now())
    return BusinessHoursOut(**vars(changed))


# routing rules: managers' "these words go to that queue, with these tags" (Sprout's inbox rules) -------------------

@routes.route("GET", "/routing-rules", "the routing rules, in the order they are tried (manager, admin)", roles=MANAGERS,
              response=RoutingRulesOut, errors=(503,))
def routing_rules_list(caller):
    return RoutingRulesOut.of(routing_rules.current())


@routes.route("PUT", "/routing-rules", "replace the routing rules at the revision read (manager, admin)",
              roles=MANAGERS, body=RoutingRulesUpdate, response=RoutingRulesOut, errors=(400, 409, 503))
def routing_rules_change(caller, body: RoutingRulesUpdate):
    return RoutingRulesOut.of(routing_rules.change(acting(caller), body.rules, body.rev, now()))


# WhatsApp templates: the messages Meta approved, the only ones WhatsApp takes after 24 hours ------------------------

@routes.route("GET", "/whatsapp-templates", "the WhatsApp templates saved to send (Meta approves them in WhatsApp "
              "Manager)", response=WhatsAppTemplatesOut, errors=(503,))
def whatsapp_templates_list(caller):
    return WhatsAppTemplatesOut.of(whatsapp_templates.current())


@routes.route("PUT", "/whatsapp-templates", "replace the WhatsApp templates at the revision read (manager, admin)",
              roles=MANAGERS, body=WhatsAppTemplatesUpdate, response=WhatsAppTemplatesOut, errors=(400, 409, 503))
def whatsapp_templates_change(caller, body: WhatsAppTemplatesUpdate):
    templates = [Template(name=t.name, language=t.language, body=t.body) for t in body.templates]
    return WhatsAppTemplatesOut.of(whatsapp_templates.change(acting(caller), templates, body.rev, now()))


# the scheduled sweep -------------------------------------------------------------------------------

@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_queues(event):
    """Reopen due snoozes, auto-resolve open messages past their queue's window, and, with RETENTION_DAYS, erase the
    conversations closed longer ago than that (bounded, idempotent)."""
    from chalicelib import sweeps

    return sweeps.run(now())


# admin: a customer's personal data ------------------------------------------------------------------

@routes.route("POST", "/erasures", "erase everything a customer wrote, in every conversation, and the replies and notes "
              "of the conversations they opened (admin; cannot be undone; the platform is not changed); when `done` "
              "is false, send it again to go on", roles=ADMINS, body=ErasureCreate, response=ErasureOut,
              errors=(400, 503))
def erasures_create(caller, body: ErasureCreate):
    from chalicelib import erasure

    progress = erasure.erase_customer(body.platform, body.author_id, caller.actor, body.reason, now())
    return ErasureOut(platform=body.platform, author_id=body.author_id, **vars(progress))


@routes.route("GET", "/customer-data", "what is kept of one customer, for their right of access: the messages they "
              "wrote, oldest first, a page at a time (admin)", roles=ADMINS, query=CustomerDataQuery,
              response=CustomerDataOut, errors=(400, 503))
def customer_data(caller, query: CustomerDataQuery):
    kept, cursor = customers.customer_messages(query.platform, query.author_id, query.cursor)
    return CustomerDataOut(platform=query.platform, author_id=query.author_id,
                           messages=[MessageOut.of(m) for m in kept], next_cursor=cursor)


# managers: blocked authors ----------------------------------------------------------------------

@routes.route("POST", "/blocks", "block an author: their new messages are stored held back (in Removed, in no queue) "
              "until the block is lifted or ends (manager, admin; nothing is sent to them; with on_platform the "
              "platform bans them first, and nothing is stored when it does not); an author blocked already: the "
              "block that holds, unchanged (but for a ban on the platform it gains)", roles=MANAGERS,
              body=BlockCreate, status=201, response=BlockOut, errors=(400, 404, 409, 422, 424, 429, 502, 503))
def blocks_create(caller, body: BlockCreate):
    from chalicelib import bans

    block, _ = bans.block(body.platform, body.author_id, caller.actor, body.reason, body.expires_in_days,
                          body.on_platform, now())
    return BlockOut.of(block)


@routes.route("GET", "/blocks", "the blocked authors, newest first (manager, admin)", roles=MANAGERS,
              query=BlocksQuery, response=BlocksOut, errors=(400, 503))
def blocks_list(caller, query: BlocksQuery):
    page, cursor = blocks.listed(query.cursor, now())
    return BlocksOut(blocks=[BlockOut.of(b) for b in page], next_cursor=cursor)


@routes.route("DELETE", "/blocks", "lift an author's block: their next messages are triaged as anyone's (manager, "
              "admin; what was held back stays in Removed); a block banned on the platform is lifted there first, "
              "and nothing changes when the platform does not", roles=MANAGERS, query=BlockQuery,
              response=UnblockOut, errors=(400, 404, 422, 424, 429, 502, 503))
def blocks_delete(caller, query: BlockQuery):
    from chalicelib import bans

    return UnblockOut(unblocked=BlockOut.of(bans.unblock(query.platform, query.author_id, caller.actor, now())))


# admin: API keys -------------------------------------------------------------------------------

@routes.route("GET", "/team", "the people work can be assigned to: everyone with a live key, by name (manager, admin)",
              roles=MANAGERS, response=TeamOut, errors=(503,))
def team(caller):
    return TeamOut(members=[TeamMemberOut.of(person) for person in auth.team()])


@routes.route("GET", "/admin/keys", "list API keys (admin)", roles=ADMINS, response=KeysOut, errors=(503,))
def keys_list(caller):
    listed, left_out = auth.listed_keys()
    return KeysOut(keys=listed, left_out=left_out or None)


@routes.route("POST", "/admin/keys", "issue an API key, shown once (admin)", roles=ADMINS, body=KeyCreate,
              status=201, response=IssuedKeyOut, errors=(503,))
def keys_create(caller, body: KeyCreate):
    issued = auth.issue_key(body.root)
    return IssuedKeyOut(**issued.record, key=issued.key)


@routes.route("DELETE", "/admin/keys/{key_id}", "revoke an API key (admin; not the key making the request)",
              roles=ADMINS, status=204, response=None, errors=(404, 409, 503))
def keys_revoke(key_id, caller):
    auth.revoke(key_id, by=caller)
    return Response(body="", status_code=204)


# managers: stats -----------------------------------------------------------------------------------

@routes.route("GET", "/stats", "volumes, response times, SLA and live model accuracy (manager, admin)",
              roles=MANAGERS, query=StatsQuery, response=StatsOut, errors=(503,))
def stats_overview(caller, query: StatsQuery):
    return StatsOut.model_validate(stats.stats(stats.window(query, now()), now()))


@routes.route("GET", "/stats/spikes", "anomalously high hourly volumes (manager, admin)", roles=MANAGERS,
              query=SpikesQuery, response=SpikesOut, errors=(503,))
def stats_spikes(caller, query: SpikesQuery):
    # any range up to 366 days: the answer holds only the spikes
    spikes = stats.spikes(stats.window(query, now(), bound_hourly=False), query.baseline_hours)
    return SpikesOut(method=stats.SPIKE_METHOD, spikes=spikes)


@routes.route("GET", "/stats/people", "what each person resolved and replied in a range, with their time to "
              "resolve (manager, admin)", roles=MANAGERS, query=PeopleStatsQuery, response=PeopleStatsOut, errors=(503,))
def stats_people(caller, query: PeopleStatsQuery):
    # any range up to 366 days: one row per person, read from daily counters past a month
    window = stats.window(query, now(), bound_hourly=False)
    return PeopleStatsOut(from_=window.start.astimezone(window.tz).isoformat(),
                          to=window.end.astimezone(window.tz).isoformat(), tz=str(window.tz),
                          people=stats.people(window, auth.list_keys()))


@routes.route("GET", "/stats/export.csv", "the stats buckets as CSV (manager, admin)", roles=MANAGERS,
              query=StatsQuery, response={CSV: {"type": "string"}}, errors=(503,))
def stats_export(caller, query: StatsQuery):
    window = stats.window(query, now())
    return Response(body=stats.to_csv(stats.volumes(window), window.queues), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="social-triage-stats.csv"',
    })


# managers: channel health ----------------------------------------------------------------------------

from chalicelib.domain import channels as channel_health  # noqa: E402  (kept with its route, one block)
from chalicelib.schemas import ChannelOut, ChannelsOut  # noqa: E402
from chalicelib.store import channels as channel_store  # noqa: E402


@routes.route("GET", "/channels", "each channel's last webhook, last send and token error, with its health flags "
              "(manager, admin)", roles=MANAGERS, response=ChannelsOut, errors=(503,))
def channels_overview(caller):
    settings = get_settings()
    report = channel_health.assess(channel_store.list_channels(), channel_health.parse_configured(settings.channels),
                                   now(), settings.channel_silence_seconds)
    return ChannelsOut(channels=[ChannelOut.of(channel) for channel in report])


@routes.route("GET", "/events/schema.json", "the JSON Schema of the outbound events", response={JSON: {"type": "object"}},
              roles=PUBLIC)
def events_schema():
    from chalicelib.events import schema  # off the webhook path's imports

    return schema.document()


# the web console (console/, built into chalicelib/console_dist/; chalicelib/console.py) ----------------
# Chalice refuses a route ending in "/": /console also answers /console/ (API Gateway drops the slash to route).
CONSOLE_ASSETS = {media: {"type": "string"} for media in ("text/javascript", "text/css", "image/svg+xml")}


def console_response(file, cache_control: str = "no-store") -> Response:
    return Response(body=file.body, status_code=200, headers=file.headers(cache_control))


@routes.route("GET", "/console", "the web console for agents, managers and admins (also at /console/)",
              roles=PUBLIC, response={"text/html": {"type": "string"}}, errors=(404,))
def console_index():
    from chalicelib import console

    return console_response(console.index((app.current_request.context or {}).get("path", "")))


@routes.route("GET", "/console/{asset}", "a file of the web console's build (scripts, styles)", roles=PUBLIC,
              response=CONSOLE_ASSETS, errors=(404,))
def console_asset(asset):
    from chalicelib import console

    return console_response(console.asset(asset), console.IMMUTABLE)


# outbound events (not behind the API: their own functions, wired in infra/template.py) -----------------

@app.lambda_function(name="publish_events")
def publish_events(event, context):
    """The table's stream (event source mapping): every change's events onto the stage's EventBridge bus."""
    from chalicelib.events import publisher

    return publisher.handle_stream(event)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="detect_spikes")
def detect_spikes(event):
    """Spikes of the previous and current hour, recorded once per category and hour (announced by the stream)."""
    from chalicelib.events import spikes

    return {"recorded": spikes.detect(now())}


@app.lambda_function(name="send_automatic_replies")
def send_automatic_replies(event, context):
    """Its queue's events: the away message for new direct messages, the satisfaction survey for resolved
    direct-message conversations, where due (chalicelib/automatic_replies.py)."""
    return automatic_replies.handle_batch(event, context)
