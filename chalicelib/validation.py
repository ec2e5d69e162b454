"""Turning untrusted input into pydantic models: the first problem becomes a 400, never a 500."""

from __future__ import annotations

import json
from typing import Any, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import BadRequest, InvalidPayload

M = TypeVar("M", bound=BaseModel)


def first_problem(exc: ValidationError, where: str) -> str:
    error = exc.errors()[0]
    location = ".".join(str(p) for p in error["loc"]) or where
    return f"{location}: {error['msg']}"


def parse_json(body: bytes | None, model: type[M], *, empty: Any = None) -> M:
    """Validate a raw JSON body against `model`; an empty body stands for `empty` when that is given."""
    if not body and empty is not None:
        data = empty
    else:
        try:
            data = json.loads(body or b"")
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, absurd nesting, huge ints
            raise BadRequest(f"body is not valid JSON: {str(exc)[:200]}", code="malformed_json") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(f"the {model.__name__} body is not valid at {first_problem(exc, 'body')}") from exc


def parse_query(params: Mapping[str, str] | None, model: type[M]) -> M:
    """Validate a query string (as API Gateway passes it: one value per name)."""
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise BadRequest(f"query parameter {first_problem(exc, 'query')}", code="invalid_query") from exc
