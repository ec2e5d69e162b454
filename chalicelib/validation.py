"""Turning untrusted input into pydantic models: the first problem becomes a 400, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from .domain.tags import TAG_PATTERN
from .errors import BadRequest, InvalidPayload, UnsupportedMediaType

M = TypeVar("M", bound=BaseModel)

# JSON can escape a lone surrogate ("\ud800"), and json.loads on bytes lets raw surrogate bytes through
# ("surrogatepass"): valid JSON, not valid Unicode, and no store can hold it. Bodies are searched for the
# escape first so that the walk over every string runs only when one may be there.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf]")


# patterns whose regular expression says nothing to a person, in words
PATTERN_MEANINGS = {TAG_PATTERN: "a tag may not hold a space, an invisible or control character, or a comma"}


def first_problem(exc: ValidationError, where: str) -> str:
    error = exc.errors()[0]
    location = ".".join(str(p) for p in error["loc"]) or where
    if error["type"] == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") in PATTERN_MEANINGS:
        return f"{location}: {PATTERN_MEANINGS[error['ctx']['pattern']]}"
    return f"{location}: {error['msg']}"


def _json_problem(exc: Exception) -> str:
    """What is wrong with a body json.loads refused, without Python's internals in the words."""
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "it is not valid UTF-8"
    if "digits" in str(exc):  # int() refusing a number of thousands of digits
        return "it has a number with too many digits"
    return "it cannot be parsed"


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string in a parsed JSON value (keys included) is not valid Unicode. A loop, not recursion:
    json.loads accepts nesting deeper than a recursive walk can go."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def require_json(content_type: str | None) -> None:
    """A JSON body must say so: a form or text/plain body is one a page on another site could have sent."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(f"content type must be application/json, got {media_type or 'none'!r}")


def load_json(body: bytes) -> Any:
    """Parse a JSON body that must also be valid Unicode text; BadRequest/InvalidPayload otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, absurd nesting, huge ints
        raise BadRequest(f"body is not valid JSON: {_json_problem(exc)}", code="malformed_json") from None
    if (_SURROGATE_ESCAPE.search(body) or _SURROGATE_BYTES.search(body)) and has_lone_surrogate(data):
        raise InvalidPayload("body is not valid Unicode text: a string has an unpaired surrogate (such as \\ud800)",
                             code="invalid_unicode")
    return data


def parse_json(body: bytes | None, model: type[M], *, empty: Any = None) -> M:
    """Validate a raw JSON body against `model`; an empty body stands for `empty` when that is given."""
    data = empty if not body and empty is not None else load_json(body or b"")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(f"the body is not valid at {first_problem(exc, 'body')}") from exc


def parse_query(params: Mapping[str, str] | None, model: type[M]) -> M:
    """Validate a query string (as API Gateway passes it: one value per name)."""
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise BadRequest(f"query parameter {first_problem(exc, 'query')}", code="invalid_query") from exc
