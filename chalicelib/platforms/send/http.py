"""One JSON request to a platform (POST, PUT or DELETE): urllib3 (which botocore brings), one pool per container,
no retries.

A request is never retried here, not even on a broken connection: the platform may have acted on the first one
(a retried POST could post twice). Connection failures become `SendFailed` ("unavailable" or "timeout", with
`maybe_sent` when the request may have reached the platform); HTTP answers, errors included, go back to the
sender to read. Nothing here logs a URL, a header or a body: Telegram's token is in its URL path, and urllib3's
own debug line that would show it is redacted.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError, SSLError

from ...config import get_settings
from .base import SendFailed

__all__ = ["Answer", "METHODS", "post_json", "request_json", "retry_after_seconds"]

USER_AGENT = "social-triage"
CONNECT_TIMEOUT_MAX = 5.0  # seconds: a platform that does not accept a connection in 5 s is down
_BOT_PATH = re.compile(r"/bot[^/\s]+")
METHODS = ("GET", "POST", "PUT", "DELETE")


@dataclass(frozen=True)
class Answer:
    """The platform's HTTP answer: `body` is the parsed JSON, or None when it is not JSON."""

    status: int
    body: Any
    headers: Mapping[str, str]  # case-insensitive (urllib3's HTTPHeaderDict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def post_json(platform: str, url: str, payload: dict, headers: Mapping[str, str] | None = None) -> Answer:
    """POST `payload` as JSON to `url` (`request_json` with POST)."""
    return request_json(platform, "POST", url, payload, headers)


def request_json(platform: str, method: str, url: str, payload: dict | None,
                 headers: Mapping[str, str] | None = None) -> Answer:
    """`method` (GET, POST, PUT, DELETE) to `url`, with `payload` as JSON when there is one (None: no body); the timeout
    is the settings' `send_timeout_seconds`, connect and read."""
    if method not in METHODS:
        raise ValueError(f"unsupported method {method!r}: one of {', '.join(METHODS)}")
    seconds = get_settings().send_timeout_seconds
    sent_headers = {"Accept": "application/json", **(headers or {})}
    body = None
    if payload is not None:  # ASCII JSON: a lone surrogate is escaped, not a crash
        body, sent_headers = json.dumps(payload).encode(), {"Content-Type": "application/json", **sent_headers}
    try:
        response = _pool().request(
            method, url, body=body, headers=sent_headers,
            timeout=urllib3.Timeout(total=seconds, connect=min(seconds, CONNECT_TIMEOUT_MAX)),
            retries=False, redirect=False)
    # the causes are dropped (`from None`): urllib3's errors carry the URL, and Telegram's URL holds the token
    except NewConnectionError:  # refused, unreachable, name not resolved: the request never left
        raise SendFailed("unavailable", f"{platform}: could not connect to the API") from None
    except ConnectTimeoutError:
        raise SendFailed("timeout", f"{platform}: the API did not accept a connection within "
                                    f"{min(seconds, CONNECT_TIMEOUT_MAX):g} s") from None
    except ReadTimeoutError:
        raise SendFailed("timeout", f"{platform}: no answer within {seconds:g} s; the request may have gone "
                                    "through", maybe_sent=True) from None
    except SSLError:
        raise SendFailed("unavailable", f"{platform}: the TLS handshake with the API failed") from None
    except HTTPError as exc:  # ProtocolError and the like: the connection broke after the request went out
        raise SendFailed("unavailable", f"{platform}: the connection broke before the API answered "
                                        f"({type(exc).__name__}); the request may have gone through",
                         maybe_sent=True) from None
    try:
        answer = json.loads(response.data) if response.data else None
    except ValueError:
        answer = None
    return Answer(response.status, answer, response.headers)


def retry_after_seconds(headers: Mapping[str, str]) -> int | None:
    """`Retry-After` in seconds, when the platform sends it as a number."""
    value = (headers.get("Retry-After") or "").strip()
    return max(1, int(value)) if value.isdigit() else None


class _RedactBotTokens(logging.Filter):
    """urllib3 logs each request's path at DEBUG: Telegram's bot token is in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_BOT_PATH.sub("/bot<redacted>", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _BOT_PATH.sub("/bot<redacted>", record.msg)
        return True


@functools.lru_cache(maxsize=1)
def _pool() -> urllib3.PoolManager:
    """The container's connection pool (kept across warm invocations: no new TLS handshake per reply)."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactBotTokens) for f in logger.filters):
        logger.addFilter(_RedactBotTokens())
    return urllib3.PoolManager(num_pools=4, maxsize=2, retries=False, headers={"User-Agent": USER_AGENT})
