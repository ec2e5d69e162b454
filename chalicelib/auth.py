"""API keys and access control: roles `agent` (scoped to queues), `manager` and `admin`.

A key reads `st_<key id>_<secret>`: 64-bit id for lookup, 256-bit secret shown once and stored only
as a SHA-256 hash (a fast hash is enough for random secrets of that size; no password stretching needed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from .errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from .models import QUEUES
from .store import api_keys
from .store.entities import ANSWER_BYTES, iso, parse_iso

ROLES = ("agent", "manager", "admin")
MAX_KEY_LIFETIME = timedelta(days=5 * 366)
PREFIX = "st"


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    role: str
    queues: tuple[str, ...]

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.name} ({self.key_id})"

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")

    def can_work(self, queue: str) -> bool:
        return self.is_manager or queue in self.queues

    def visible_queues(self) -> list[str]:
        return list(QUEUES) if self.is_manager else [q for q in QUEUES if q in self.queues]


@dataclass(frozen=True)
class IssuedKey:
    key: str  # shown once
    record: dict[str, Any]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(role: str, name: str, queues: Iterable[str] = (), expires_at: datetime | None = None,
               key: str | None = None) -> IssuedKey:
    queues = tuple(dict.fromkeys(queues))
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
    unknown = [q for q in queues if q not in QUEUES]
    if unknown:
        raise BadRequest(f"unknown queue(s): {', '.join(unknown)}", code="invalid_queue")
    if role == "agent" and not queues:
        raise BadRequest("an agent key needs at least one queue", code="invalid_queue")
    if not name.strip():
        raise BadRequest("a key needs a name", code="invalid_name")
    now = datetime.now(timezone.utc)
    if expires_at is not None:
        expires_at = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=timezone.utc)
        try:
            valid = now < expires_at.astimezone(timezone.utc) <= now + MAX_KEY_LIFETIME
        except OverflowError:
            valid = False
        if not valid:
            raise BadRequest("expires_at must be in the future and at most 5 years away", code="invalid_expiry")
    if key is not None:
        key_id, secret = _split(key) or (None, None)
        if key_id is None:
            raise BadRequest(f"a given key must look like {PREFIX}_<16 hex>_<secret of 32+ chars>", code="invalid_key")
    else:
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        key = f"{PREFIX}_{key_id}_{secret}"
    record = {
        "key_id": key_id,
        "name": name.strip(),
        "role": role,
        "queues": list(queues) if role == "agent" else [],
        "secret_hash": _hash(secret),
        "created_at": iso(now),
        "expires_at": iso(expires_at) if expires_at else None,
    }
    api_keys.put_key(record)
    return IssuedKey(key=key, record=public(record))


def issue_key(request) -> IssuedKey:
    """A key as POST /admin/keys asks for it (schemas.AgentKeyCreate or StaffKeyCreate)."""
    expires_at = None
    if request.expires_in_days is not None:
        expires_at = datetime.now(timezone.utc) + timedelta(days=request.expires_in_days)
    return create_key(request.role, request.name, request.queues if request.role == "agent" else (), expires_at)


def _split(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 16 or len(parts[2]) < 32:
        return None
    try:
        int(parts[1], 16)
    except ValueError:
        return None
    return parts[1], parts[2]


def authenticate(headers: Mapping[str, str]) -> Principal:
    """The caller behind `Authorization: Bearer <key>`: 401 for a missing, unknown, revoked or expired key."""
    header = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API key as `Authorization: Bearer <key>`", code="missing_key")
    parts = _split(token.strip())
    record = api_keys.get_key(parts[0]) if parts else None
    # compare even when there is no record, so timing does not reveal which key ids exist
    stored_hash = record["secret_hash"] if record else "0" * 64
    matches = hmac.compare_digest(_hash(parts[1] if parts else token), stored_hash)
    if not record or not matches:
        raise Unauthorized("unknown API key", code="invalid_key")
    if record.get("revoked_at"):
        raise Unauthorized("this API key was revoked", code="revoked_key")
    if record.get("expires_at") and parse_iso(record["expires_at"]) <= datetime.now(timezone.utc):
        raise Unauthorized("this API key has expired", code="expired_key")
    return Principal(record["key_id"], record["name"], record["role"], tuple(record.get("queues") or ()))


def _live(record: dict[str, Any] | None) -> Principal | None:
    if not record or record.get("revoked_at"):
        return None
    if record.get("expires_at") and parse_iso(record["expires_at"]) <= datetime.now(timezone.utc):
        return None
    return Principal(record["key_id"], record["name"], record["role"], tuple(record.get("queues") or ()))


def person(key_id: str) -> Principal | None:
    """Who holds a live (not revoked, not expired) key: someone work can be assigned to."""
    return _live(api_keys.get_key(key_id))


def team() -> list[Principal]:
    """Everyone with a live key, by name: whom a manager may assign work to (within one answer, see listed_keys)."""
    people, size = [], 0
    for person in sorted(filter(None, map(_live, api_keys.list_keys())), key=lambda p: (p.name.casefold(), p.key_id)):
        if size >= ANSWER_BYTES:
            break
        people.append(person)
        size += len(json.dumps(person.__dict__)) * 2  # the name is answered twice (name, actor)
    return people


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"this route needs the {' or '.join(roles)} role", code="forbidden_role")


def require_queue(principal: Principal, queue: str) -> None:
    if queue not in QUEUES:
        raise NotFound(f"unknown queue {queue!r}; queues: {', '.join(QUEUES)}", code="unknown_queue")
    if not principal.can_work(queue):
        raise Forbidden(f"this key is not scoped to the {queue} queue", code="forbidden_queue")


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A key record without its hash, for listings."""
    return {k: record.get(k) for k in ("key_id", "name", "role", "queues", "created_at", "expires_at", "revoked_at")}


def list_keys() -> list[dict[str, Any]]:
    return [public(r) for r in api_keys.list_keys()]


def listed_keys() -> tuple[list[dict[str, Any]], int]:
    """The keys an admin sees, within one answer (entities.ANSWER_BYTES as JSON): the live ones first, then the
    latest revoked or expired; returns them with how many older ones are left out (nothing bounds how many keys
    were ever issued)."""
    now = iso(datetime.now(timezone.utc))
    records = list_keys()
    live = sorted((r for r in records if _live(r) is not None), key=lambda r: r["created_at"], reverse=True)
    ended = sorted((r for r in records if _live(r) is None),
                   key=lambda r: r.get("revoked_at") or r.get("expires_at") or now, reverse=True)
    listed, size = [], 0
    for record in live + ended:
        if size >= ANSWER_BYTES:
            break
        listed.append(record)
        size += len(json.dumps(record, default=str))
    return listed, len(records) - len(listed)


def revoke(key_id: str, by: Principal | None = None) -> None:
    """Revoke a key; never the caller's own, so that an admin cannot lock the last admin key out by mistake."""
    if by is not None and by.key_id == key_id:
        raise Conflict("a key cannot revoke itself; use another admin key", code="own_key")
    if not api_keys.revoke_key(key_id, iso(datetime.now(timezone.utc))):
        raise NotFound(f"no API key {key_id!r}", code="unknown_key")


def bootstrap_admin(key: str | None = None) -> str:
    """The admin key `make run` prints: the given one (stored if new) or a freshly issued one."""
    if key:
        parts = _split(key)
        if parts and api_keys.get_key(parts[0]):
            return key
        return create_key("admin", "bootstrap admin", key=key).key
    return create_key("admin", "bootstrap admin").key
