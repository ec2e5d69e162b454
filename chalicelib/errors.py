"""Errors the API answers with `{"error": {"code", "message"}}` and their HTTP status."""

from __future__ import annotations

from chalice.app import ChaliceUnhandledError


class ApiError(ChaliceUnhandledError):
    """Raised anywhere below a route; Chalice passes ChaliceUnhandledError on to the app's middleware."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class InvalidPayload(ApiError):
    status, code = 400, "invalid_payload"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class InvalidSignature(ApiError):
    status, code = 401, "invalid_signature"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class StorageRejected(ApiError):
    """DynamoDB refused the request itself (ValidationException: item too large, invalid text...).

    The same request would fail again, so it is a 4xx the platform does not retry, not a 503."""

    status, code = 400, "not_storable"


class StorageUnavailable(ApiError):
    """Storage failed: 503 with Retry-After so the platform redelivers."""

    status, code = 503, "storage_unavailable"

    def __init__(self, message: str = "storage is unavailable; retry later", retry_after: int = 5):
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


class FailedDependency(ApiError):
    """Something the request depends on, outside this API, must be fixed first (a channel's token)."""

    status, code = 424, "failed_dependency"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class BadGateway(ApiError):
    status, code = 502, "bad_gateway"
