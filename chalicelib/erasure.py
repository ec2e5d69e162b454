"""Erasing a customer's data on request (rules: domain.privacy; the work: store.erasure), within one request's time.

The work is cut to ERASURE_SECONDS, well inside the function's timeout: a customer with years of messages is
erased over several requests, each going on where the last stopped (everything already erased is passed over).
"""

from __future__ import annotations

import time
from datetime import datetime

from .domain import privacy
from .domain.errors import InvalidRequest
from .store import erasure as store
from .store.erasure import ErasureProgress

ERASURE_SECONDS = 10.0


def erase_customer(platform: str, author_id: str, actor: str, note: str | None, now: datetime) -> ErasureProgress:
    if not privacy.erasable_author(author_id):
        raise InvalidRequest(f"`{author_id}` is many people under one name: it cannot be erased as one customer",
                             code="author_not_erasable")
    return store.erase_customer(platform, author_id, now, actor, note, deadline=time.monotonic() + ERASURE_SECONDS)
