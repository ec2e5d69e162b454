"""Channel health records: when each brand channel (platform, account) last received a webhook, and how its
sends went. Bookkeeping beside the real work: recording never fails a webhook or a reply (a storage error is
logged and the caller goes on); only listing the channels answers 503.
"""

from __future__ import annotations

import weakref
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from .. import observability
from ..domain.channels import is_token_error
from . import dynamo
from .entities import ChannelKeys, StoredChannel, iso, key

# A webhook burst must not become a hot item: a channel's last_webhook_at moves at most once per interval.
WEBHOOK_INTERVAL = timedelta(minutes=1)
MAX_ERROR_MESSAGE_CHARS = 500

# Per container, the last webhook time written (or found newer) per channel, so that a burst into one warm
# Lambda makes no DynamoDB call at all; the conditional update keeps the interval across containers. Held per
# client: a new client (another table, a restored SnapStart snapshot) starts afresh.
_webhooks_written: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], datetime]] = weakref.WeakKeyDictionary()

_IDENTITY = "#platform = :platform, #account = :account, #type = :type"
_IDENTITY_NAMES = {"#platform": "platform", "#account": "account", "#type": "type"}


def _identity(platform: str, account: str) -> dict[str, Any]:
    return {"platform": platform, "account": account, "type": ChannelKeys.TYPE}


def _channel_key(platform: str, account: str) -> dict[str, Any]:
    return key(ChannelKeys.PK, ChannelKeys.sk(platform, account))


def record_webhook(platform: str, account: str, at: datetime) -> bool:
    """Note that a verified webhook reached the channel at `at`; True when the item was written.

    Written only when the stored time is missing or more than WEBHOOK_INTERVAL older; never raises."""
    db = dynamo.client()
    written = _webhooks_written.setdefault(db, {})
    last = written.get((platform, account))
    if last is not None and last <= at < last + WEBHOOK_INTERVAL:
        return False
    try:
        db.update_item(
            TableName=dynamo.table_name(), Key=_channel_key(platform, account),
            UpdateExpression=f"SET last_webhook_at = :at, {_IDENTITY}",
            ConditionExpression="attribute_not_exists(last_webhook_at) OR last_webhook_at < :cutoff",
            ExpressionAttributeNames=_IDENTITY_NAMES,
            ExpressionAttributeValues=dynamo.values(at=iso(at), cutoff=iso(at - WEBHOOK_INTERVAL),
                                                    **_identity(platform, account)),
        )
    except ClientError as exc:
        if dynamo.error_code(exc) == "ConditionalCheckFailedException":  # another container wrote it lately
            written[(platform, account)] = at
            return False
        _not_recorded("webhook", platform, account, exc)
        return False
    except dynamo.STORAGE_ERRORS as exc:
        _not_recorded("webhook", platform, account, exc)
        return False
    written[(platform, account)] = at
    return True


def record_send(platform: str, account: str, at: datetime, ok: bool, error_kind: str | None = None,
                error_message: str | None = None) -> bool:
    """Note a send through the channel and its result (error_kind: SendFailed.kind); True when recorded.

    Counts sends_ok or sends_failed. The last send's time, result and error follow the latest `at` (a send
    recorded late only counts). A failure on the token or a permission sets token_error, which only a later
    successful send clears. Never raises."""
    names = dict(_IDENTITY_NAMES)
    named: dict[str, Any] = {"at": iso(at), "one": 1, **_identity(platform, account)}
    if ok:
        update = (f"SET last_send_at = :at, last_send_ok = :ok, {_IDENTITY} "
                  "REMOVE last_send_error, token_error, token_error_since ADD sends_ok :one, rev :one")
        named["ok"] = True
        count = "sends_ok"
    else:
        error = {"kind": error_kind or "unknown", "message": (error_message or "")[:MAX_ERROR_MESSAGE_CHARS] or None}
        update = f"SET last_send_at = :at, last_send_ok = :ok, last_send_error = :error, {_IDENTITY}"
        if is_token_error(error_kind):
            update += ", token_error = :kind, token_error_since = if_not_exists(token_error_since, :at)"
            named["kind"] = error_kind
        update += " ADD sends_failed :one, rev :one"
        named |= {"ok": False, "error": error}
        count = "sends_failed"
    db = dynamo.client()
    try:
        try:
            db.update_item(
                TableName=dynamo.table_name(), Key=_channel_key(platform, account), UpdateExpression=update,
                ConditionExpression="attribute_not_exists(last_send_at) OR last_send_at <= :at",
                ExpressionAttributeNames=names, ExpressionAttributeValues=dynamo.values(**named),
            )
        except ClientError as exc:
            if dynamo.error_code(exc) != "ConditionalCheckFailedException":
                raise
            # a later send is already recorded: this one only counts
            db.update_item(TableName=dynamo.table_name(), Key=_channel_key(platform, account),
                           UpdateExpression=f"ADD {count} :one", ExpressionAttributeValues=dynamo.values(one=1))
    except dynamo.STORAGE_ERRORS as exc:
        _not_recorded("send", platform, account, exc)
        return False
    return True


def list_channels() -> list[StoredChannel]:
    """Every channel recorded (one Query of the CHANNEL partition)."""
    with dynamo.storage_errors():
        return list(dynamo.query_pages(
            lambda raw: StoredChannel.from_item(dynamo.from_item(raw)),
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues=dynamo.values(pk=ChannelKeys.PK)))


def _not_recorded(what: str, platform: str, account: str, exc: Exception) -> None:
    code = dynamo.error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    observability.warning(f"channel {what} not recorded", platform=platform, account=account, error=code)
