"""API request and response bodies (pydantic at the edge; plain dicts inside)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import BadRequest
from .models import Queue
from .validation import first_problem, parse_json

M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    # validators are built on first use, not at import: most Lambda containers serve only webhooks
    model_config = ConfigDict(defer_build=True)


class _Body(_Model):
    model_config = ConfigDict(extra="forbid")


class ClaimRequest(_Body):
    count: int = Field(1, ge=1, le=50, strict=True, description="claim up to this many messages")
    lease_seconds: int = Field(900, ge=30, le=86_400, strict=True, description="the claim expires after this long")


class ResolveRequest(_Body):
    note: str | None = Field(None, max_length=2_000)


class RerouteRequest(_Body):
    queue: Queue
    reason: str = Field(min_length=1, max_length=500)


class KeyCreateRequest(_Body):
    role: Literal["agent", "manager", "admin"]
    name: str = Field(min_length=1, max_length=100)
    queues: list[Queue] = Field(default_factory=list)
    expires_at: datetime | None = None


class ErrorDetail(_Model):
    code: str
    message: str


class ErrorBody(_Model):
    error: ErrorDetail


class TermOut(_Model):
    term: str
    weight: float


class TriageOut(_Model):
    category: Queue
    confidence: float
    scores: dict[str, float]
    top_terms: list[TermOut]
    model_version: str
    needs_review: bool


class HistoryOut(_Model):
    event: str
    at: str
    actor: str
    details: dict[str, Any] | None = None


class CorrectionOut(_Model):
    model_config = ConfigDict(populate_by_name=True)

    from_queue: str = Field(alias="from")
    to: str
    by: str
    at: str
    reason: str
    model_version: str


class MessageOut(_Model):
    id: str
    platform: str
    channel: str
    author: dict[str, str]
    text: str
    text_truncated: bool | None = None  # true when the text was cut at 64 KiB (UTF-8)
    language: str
    created_at: str
    received_at: str
    parent_id: str | None = None
    thread_id: str | None = None
    conversation_id: str | None = None
    queue: Queue
    status: Literal["open", "claimed", "resolved", "removed"]
    priority: int
    priority_reasons: list[str]
    needs_review: bool
    triage: TriageOut
    claimed_by: str | None = None
    lease_expires_at: str | None = None
    first_claimed_at: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None
    corrections: list[CorrectionOut] = Field(default_factory=list)
    history: list[HistoryOut] | None = None


class MessagePage(_Model):
    messages: list[MessageOut]
    next_cursor: str | None


class ClaimResult(_Model):
    claimed: list[MessageOut]


class QueueSummary(_Model):
    queue: Queue
    open: int
    claimed: int
    needs_review: int
    oldest_open_age_seconds: float | None


class QueuesOut(_Model):
    queues: list[QueueSummary]


class KeyOut(_Model):
    key_id: str
    name: str
    role: str
    queues: list[str]
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None


class IssuedKeyOut(KeyOut):
    key: str = Field(description="the secret key; shown only once")


class KeysOut(_Model):
    keys: list[KeyOut]


def parse_body(raw: bytes | None, model: type[M]) -> M:
    """Validate an API request body (an empty body is an empty object)."""
    return parse_json(raw, model, empty={})


def message_out(item: dict[str, Any], with_history: bool = False) -> dict[str, Any]:
    fields = {k: v for k, v in item.items() if k in MessageOut.model_fields}
    if not with_history:
        fields.pop("history", None)
    return MessageOut.model_validate(fields).model_dump(mode="json", by_alias=True, exclude_none=True)


class ListQuery(_Model):
    model_config = ConfigDict(extra="ignore")

    status: Literal["open", "claimed", "resolved"] = "open"
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2_000)


def parse_query(params: dict[str, str] | None, model: type[M]) -> M:
    try:
        return model.model_validate(params or {})
    except ValidationError as exc:
        raise BadRequest(f"query parameter {first_problem(exc, 'query')}", code="invalid_query") from exc
