"""Channel health: what a brand channel (platform, account) looks like from what the API saw of it.

A channel is flagged
- `never_received`: no webhook has reached it (a subscription never made, or made to another URL);
- `silent`: its last webhook is older than the silence window (a subscription dropped, an app removed);
- `token_error`: its last send failed on the token or a permission, and no send has succeeded since.
A channel without flags is healthy. Channels named in the configuration are listed even if never seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Protocol

NEVER_RECEIVED, SILENT, TOKEN_ERROR = "never_received", "silent", "token_error"
FLAGS = (NEVER_RECEIVED, SILENT, TOKEN_ERROR)
# the send failures that say the channel's credentials are wrong (SendFailed.kind): a person must act
TOKEN_ERROR_KINDS = frozenset({"token_invalid", "permission_denied", "token_missing"})


class ChannelRecord(Protocol):
    """What the rule reads of a stored channel (store.entities.StoredChannel)."""

    platform: str
    account: str
    last_webhook_at: str | None  # ISO 8601 UTC
    token_error: str | None  # the kind of the failure, while unresolved


@dataclass(frozen=True)
class ChannelHealth:
    platform: str
    account: str
    record: Any | None  # the stored channel; None for a configured channel nothing was recorded for
    flags: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        return not self.flags


def is_token_error(kind: str | None) -> bool:
    return kind in TOKEN_ERROR_KINDS


def parse_configured(value: str | None) -> list[tuple[str, str]]:
    """The `channels` setting ("facebook:1234,whatsapp:5678") as (platform, account) pairs, in order, once each.

    Raises ValueError for an entry without a platform or an account."""
    pairs: list[tuple[str, str]] = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        platform, _, account = (part.strip() for part in entry.partition(":"))
        if not platform or not account:
            raise ValueError(f"channel {entry!r} must be platform:account, e.g. facebook:1234")
        if (platform, account) not in pairs:
            pairs.append((platform, account))
    return pairs


def flags_of(record: ChannelRecord | None, now: datetime, silence: timedelta) -> tuple[str, ...]:
    flags = []
    last_webhook = record.last_webhook_at if record else None
    if last_webhook is None:
        flags.append(NEVER_RECEIVED)
    elif now - datetime.fromisoformat(last_webhook) > silence:
        flags.append(SILENT)
    if record is not None and record.token_error:
        flags.append(TOKEN_ERROR)
    return tuple(flags)


def assess(records: Iterable[ChannelRecord], configured: Iterable[tuple[str, str]], now: datetime,
           silence_seconds: int) -> list[ChannelHealth]:
    """Every channel recorded or configured, with its flags, ordered by platform then account."""
    silence = timedelta(seconds=silence_seconds)
    by_channel: dict[tuple[str, str], ChannelRecord | None] = {pair: None for pair in configured}
    by_channel.update({(r.platform, r.account): r for r in records})
    return [ChannelHealth(platform, account, record, flags_of(record, now, silence))
            for (platform, account), record in sorted(by_channel.items(), key=lambda kv: kv[0])]
