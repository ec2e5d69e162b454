"""social-triage HTTP API: thin routes over the domain modules in chalicelib/."""

from __future__ import annotations

import json

from chalice import Chalice, Response

from chalicelib.errors import ApiError
from chalicelib.platforms import WebhookRequest

app = Chalice(app_name="social-triage")
app.api.binary_types = []  # webhook bodies are JSON text; keep API Gateway from base64-wrapping them

ANY_CONTENT_TYPE = ["*/*"]  # content types are checked by the domain code, which answers in our error shape


def error_response(error: ApiError) -> Response:
    return Response(body=error.body(), status_code=error.status,
                    headers={"Content-Type": "application/json", **error.headers})


@app.middleware("http")
def api_errors(event, get_response):
    try:
        return get_response(event)
    except ApiError as error:
        return error_response(error)


def webhook_request() -> WebhookRequest:
    request = app.current_request
    return WebhookRequest(
        body=request.raw_body or b"",
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params or {}),
    )


@app.route("/health", methods=["GET"])
def health():
    return {"status": "ok"}


@app.route("/webhooks/{platform}", methods=["GET"])
def webhook_handshake(platform):
    from chalicelib import ingest

    answer = ingest.handshake(platform, webhook_request())
    body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return Response(body=body, status_code=200, headers={"Content-Type": answer.content_type})


@app.route("/webhooks/{platform}", methods=["POST"], content_types=ANY_CONTENT_TYPE)
def webhook_receive(platform):
    from chalicelib import ingest

    result = ingest.ingest(platform, webhook_request())
    return Response(body=result.summary(), status_code=200, headers={"Content-Type": "application/json"})
