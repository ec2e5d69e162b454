"""social-triage HTTP API: thin routes over the domain modules in chalicelib/."""

from __future__ import annotations

import functools
import json
import os
import time
from datetime import datetime, timezone

from chalice import Chalice, CORSConfig, Rate, Response

from chalicelib import auth, ingest, observability, stats
from chalicelib.config import get_settings
from chalicelib.domain import errors as domain
from chalicelib.domain.workflow import Actor
from chalicelib.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge
from chalicelib.platforms import WebhookRequest
from chalicelib.schemas import (
    ClaimRequest,
    KeyCreateRequest,
    ListQuery,
    MessagePage,
    QueuesOut,
    RerouteRequest,
    ResolveRequest,
    SnoozeRequest,
    message_out,
    parse_body,
    parse_query,
)
from chalicelib.store import messages, queue
from chalicelib import snapstart

app = Chalice(app_name="social-triage", configure_logs=False)  # Powertools writes the (JSON) logs
snapstart.register()  # under Lambda SnapStart: load everything before the snapshot, refresh after each restore
app.api.binary_types = []  # webhook bodies are JSON text; keep API Gateway from base64-wrapping them
if os.environ.get("CORS_ORIGIN"):
    # CORS is off unless configured. Read at import, not per request: `chalice package` turns it into
    # API Gateway OPTIONS methods, so it is deployment configuration, not request-time configuration.
    app.api.cors = CORSConfig(allow_origin=os.environ["CORS_ORIGIN"], allow_headers=["Authorization"], max_age=600)

ANY_CONTENT_TYPE = ["*/*"]  # content types are checked by the domain code, which answers in our error shape


# what the domain refuses, as HTTP
DOMAIN_ERRORS: dict[type[domain.DomainError], type[ApiError]] = {
    domain.UnknownMessage: NotFound,
    domain.WrongStatus: Conflict,
    domain.SameQueue: Conflict,
    domain.ConcurrentChange: Conflict,
    domain.NotClaimHolder: Forbidden,
    domain.InvalidRequest: BadRequest,
}


def http_error(error: domain.DomainError) -> ApiError:
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


def error_response(error: ApiError) -> Response:
    return Response(body=error.body(), status_code=error.status,
                    headers={"Content-Type": "application/json", **error.headers})


@app.middleware("http")
def errors_and_request_log(event, get_response):
    """ApiErrors become JSON error responses; every request gets one structured log line."""
    started, status, error = time.perf_counter(), 500, None
    try:
        check_body_size(event)
        response = get_response(event)
        status = response.status_code
        return with_security_headers(response)
    except ApiError as exc:
        status, error = exc.status, exc.code
        return with_security_headers(error_response(exc))
    finally:
        context = event.context or {}
        observability.log_request(
            context.get("resourcePath", event.path), status, (time.perf_counter() - started) * 1000,
            method=event.method, request_id=context.get("requestId"), error=error,
            platform=(event.uri_params or {}).get("platform"),
        )


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


def webhook_request() -> WebhookRequest:
    request = app.current_request
    return WebhookRequest(
        body=request.raw_body or b"",
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params or {}),
    )


@app.route("/health", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def health():
    return {"status": "ok"}


@app.route("/webhooks/{platform}", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def webhook_handshake(platform):
    answer = ingest.handshake(platform, webhook_request())
    body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return Response(body=body, status_code=200, headers={"Content-Type": answer.content_type})


@app.route("/webhooks/{platform}", methods=["POST"], content_types=ANY_CONTENT_TYPE)
def webhook_receive(platform):
    result = ingest.ingest(platform, webhook_request())
    return Response(body=result.summary(), status_code=200, headers={"Content-Type": "application/json"})


# agents' queues ------------------------------------------------------------------------------------

def caller():
    return auth.authenticate(app.current_request.headers)


def acting(principal) -> Actor:
    return Actor(principal.actor, may_override=principal.is_manager)


def now():
    return datetime.now(timezone.utc)


@app.route("/queues", methods=["GET"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def queues_overview():
    principal = caller()
    summaries = [queue.queue_overview(q, now()) for q in principal.visible_queues()]
    return QueuesOut(queues=summaries).model_dump(mode="json")


@app.route("/queues/{name}/messages", methods=["GET"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def queue_messages(name):
    principal = caller()
    auth.require_queue(principal, name)
    query = parse_query(app.current_request.query_params, ListQuery)
    items, cursor = queue.list_messages(name, query.status, query.limit, query.cursor)
    return MessagePage(messages=[message_out(i) for i in items], next_cursor=cursor).model_dump(mode="json")


@app.route("/queues/{name}/claim", methods=["POST"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def queue_claim(name):
    principal = caller()
    auth.require_queue(principal, name)
    body = parse_body(app.current_request.raw_body, ClaimRequest)
    claimed = queue.claim(name, acting(principal), body.count, body.lease_seconds, now())
    return {"claimed": [message_out(i) for i in claimed]}


def _working(message_id):
    """The caller and the message they act on (read once), after the queue-scope check."""
    principal = caller()
    stored = messages.get_message(message_id)
    if stored is None or not principal.can_work(stored.queue):
        # an agent outside the message's queue learns nothing about it
        raise NotFound(f"no message {message_id!r}", code="unknown_message")
    return principal, stored


@app.route("/messages/{message_id}", methods=["GET"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def message_detail(message_id):
    _, stored = _working(message_id)
    return message_out(stored, with_history=True)


@app.route("/messages/{message_id}/release", methods=["POST"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def message_release(message_id):
    principal, stored = _working(message_id)
    return message_out(queue.release(stored, acting(principal), now()))


@app.route("/messages/{message_id}/snooze", methods=["POST"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def message_snooze(message_id):
    principal, stored = _working(message_id)
    body = parse_body(app.current_request.raw_body, SnoozeRequest)
    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=timezone.utc)
    return message_out(queue.snooze(stored, acting(principal), until, now()))


@app.route("/messages/{message_id}/resolve", methods=["POST"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def message_resolve(message_id):
    principal, stored = _working(message_id)
    body = parse_body(app.current_request.raw_body, ResolveRequest)
    return message_out(queue.resolve(stored, acting(principal), body.note, now()))


@app.route("/messages/{message_id}/reroute", methods=["POST"], content_types=ANY_CONTENT_TYPE)
@domain_errors
def message_reroute(message_id):
    principal, stored = _working(message_id)
    body = parse_body(app.current_request.raw_body, RerouteRequest)
    return message_out(queue.reroute(stored, acting(principal), body.queue, body.reason, now()))


# the scheduled sweep -------------------------------------------------------------------------------

@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_queues(event):
    """Reopen due snoozes and auto-resolve open messages past their queue's window (bounded, idempotent)."""
    from chalicelib import sweeps

    return sweeps.run(now())


# admin: API keys -------------------------------------------------------------------------------

@app.route("/admin/keys", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def keys_list():
    auth.require_role(caller(), "admin")
    return {"keys": auth.list_keys()}


@app.route("/admin/keys", methods=["POST"], content_types=ANY_CONTENT_TYPE)
def keys_create():
    auth.require_role(caller(), "admin")
    body = parse_body(app.current_request.raw_body, KeyCreateRequest)
    issued = auth.create_key(body.role, body.name, body.queues, body.expires_at)
    return Response(body={**issued.record, "key": issued.key}, status_code=201,
                    headers={"Content-Type": "application/json"})


@app.route("/admin/keys/{key_id}", methods=["DELETE"], content_types=ANY_CONTENT_TYPE)
def keys_revoke(key_id):
    auth.require_role(caller(), "admin")
    auth.revoke(key_id)
    return Response(body="", status_code=204)


# managers: stats -----------------------------------------------------------------------------------

def _stats_query(parse=stats.parse_query):
    auth.require_role(caller(), "manager", "admin")
    return parse(app.current_request.query_params, now())


@app.route("/stats", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def stats_overview():
    return stats.stats(_stats_query(), now())


@app.route("/stats/spikes", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def stats_spikes():
    query, baseline = _stats_query(stats.parse_spikes_query)
    return {"method": stats.SPIKE_METHOD, "spikes": stats.spikes(query, baseline)}


@app.route("/stats/export.csv", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def stats_export():
    query = _stats_query()
    body = stats.to_csv(stats.volumes(query), query.queues)
    return Response(body=body, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="social-triage-stats.csv"',
    })


# the contract ------------------------------------------------------------------------------------

@app.route("/openapi.json", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def openapi_document():
    from chalicelib import openapi  # imported and built on the first request, then cached per container

    return openapi.document()


@app.route("/events/schema.json", methods=["GET"], content_types=ANY_CONTENT_TYPE)
def events_schema():
    from chalicelib.events import schema  # off the webhook path's imports

    return schema.document()


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
