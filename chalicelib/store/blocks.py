"""Blocked authors (rules: domain.blocks): the block items, and the one read the webhook path makes of an author.

A block lives in its author's activity partition (entities.AuthorBlockKeys), so the Query that counts the author's
recent messages for their priority reads it in the same request: blocking costs the webhook path nothing.
Lifting a block is an update (it leaves the listing, TTL deletes it a day later): the API's role deletes no items
but saved replies. A block made on the platform too (chalicelib/bans.py) records it in `platform_ban`, written only
once the platform did it; the platform is asked to let the author back before such a block is lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from botocore.exceptions import ClientError

from ..domain import blocks as rules
from ..domain.errors import ConcurrentChange, UnknownBlock
from ..models import UNKNOWN_AUTHOR
from . import dynamo
from .entities import AuthorActivityKeys, AuthorBlockKeys, MessageKeys, StoredBlock, iso, key, parse_iso
from .queue import decode_cursor, encode_cursor
from .table import GSI1, GSI3

PAGE = 100
CHANGE_ROUNDS = 4


@dataclass(frozen=True)
class AuthorState:
    """What the webhook path knows of an author before storing their message."""

    recent: int  # their messages in the current activity window, before this one
    block: StoredBlock | None  # a block that holds now


def _ends(block: StoredBlock) -> datetime | None:
    return parse_iso(block.until) if block.until else None


def holds(block: StoredBlock | None, now: datetime) -> bool:
    return block is not None and rules.holds(block.unblocked_at, _ends(block), now)


def author_state(platform: str, author_id: str, now: datetime) -> AuthorState:
    """The author's messages in the current activity window and their block: one Query of their partition from the
    current window on (the block item sorts after every window)."""
    recent, block = 0, None
    with dynamo.storage_errors():
        for item in dynamo.query_pages(
                KeyConditionExpression="pk = :pk AND sk >= :w",
                ExpressionAttributeValues=dynamo.values(pk=AuthorActivityKeys.pk(platform, author_id),
                                                        w=AuthorActivityKeys.window(now)),
                decode=dynamo.from_item):
            if item["sk"] == AuthorBlockKeys.SK:
                block = StoredBlock.from_item(item)
            elif item["sk"].startswith(AuthorActivityKeys.window(now)):
                recent += int(item.get("messages", 0))
    return AuthorState(recent=recent, block=block if holds(block, now) else None)


def get(platform: str, author_id: str, now: datetime) -> StoredBlock | None:
    """The author's block if one holds now."""
    with dynamo.storage_errors():
        item = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=True,
                                        Key=key(AuthorActivityKeys.pk(platform, author_id), AuthorBlockKeys.SK)).get("Item")
    block = StoredBlock.from_item(dynamo.from_item(item)) if item else None
    return block if holds(block, now) else None


def of_author(platform: str, author_id: str | None, now: datetime) -> StoredBlock | None:
    """The block of a conversation's customer, if one holds (none for an author without an id)."""
    return None if not author_id or author_id == UNKNOWN_AUTHOR else get(platform, author_id, now)


def latest_message(platform: str, author_id: str) -> dict[str, Any]:
    """The author's latest stored message (GSI3 finds it): its `id`, `author` and `account` (the brand account it
    came to), those it has; {} when none is stored."""
    with dynamo.storage_errors():
        found = dynamo.client().query(
            TableName=dynamo.table_name(), IndexName=GSI3, Limit=1, ScanIndexForward=False,
            KeyConditionExpression="gsi3pk = :p",
            ExpressionAttributeValues=dynamo.values(p=MessageKeys.author_partition(platform, author_id))).get("Items")
        if not found:
            return {}
        item = dynamo.client().get_item(TableName=dynamo.table_name(), Key={"pk": found[0]["pk"], "sk": found[0]["sk"]},
                                        ProjectionExpression="#i, #a, account",
                                        ExpressionAttributeNames={"#i": "id", "#a": "author"}).get("Item")
    return dynamo.from_item(item) if item else {}


def known_as(latest: dict[str, Any]) -> dict[str, str]:
    """The name and handle of the author's latest stored message, to list the block by."""
    author = latest.get("author") or {}
    return {name: author[name] for name in ("name", "handle") if author.get(name)}


def block(platform: str, author_id: str, actor: str, reason: str | None, days: int | None,
          now: datetime, *, platform_ban: dict[str, str] | None = None,
          latest: dict[str, Any] | None = None) -> tuple[StoredBlock, bool]:
    """Block the author; (the block, True) when this request made it, (the block that holds, False) when one did
    already (it is left as it was, but for `platform_ban`, the record of a ban the platform just made, which a
    block without one gains). `latest`: the author's latest message when the caller read it already."""
    rules.check_blockable(author_id)
    existing = get(platform, author_id, now)
    if existing is not None:
        return _with_platform_ban(existing, platform_ban, now), False
    ends = rules.until(now, days)
    made = StoredBlock(platform=platform, author_id=author_id, blocked_by=actor, blocked_at=iso(now), reason=reason,
                       until=iso(ends) if ends else None, platform_ban=platform_ban,
                       **known_as(latest if latest is not None else latest_message(platform, author_id)))
    # a lifted or ended block is replaced; one that holds (blocked meanwhile by someone else) is kept
    with dynamo.storage_errors():
        try:
            dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(),
                         Item=dynamo.to_item(made.to_item(ends + rules.KEPT_AFTER_END if ends else None)),
                         ConditionExpression="attribute_not_exists(pk) OR attribute_exists(unblocked_at) "
                                             "OR (attribute_exists(#until) AND #until <= :now)",
                         ExpressionAttributeNames={"#until": "until"}, ExpressionAttributeValues=dynamo.values(now=iso(now)))
        except ClientError as exc:
            if dynamo.error_code(exc) != "ConditionalCheckFailedException":
                raise
            held = get(platform, author_id, now)
            if held is None:  # it ended in between: rare enough to let the caller send it again
                raise
            return _with_platform_ban(held, platform_ban, now), False
    return made, True


def _with_platform_ban(held: StoredBlock, platform_ban: dict[str, str] | None, now: datetime) -> StoredBlock:
    """The block that holds, with the record of the ban the platform just made when it has none."""
    if platform_ban is None or held.platform_ban is not None:
        return held
    for _ in range(CHANGE_ROUNDS):
        if dynamo.update_if(
                TableName=dynamo.table_name(), Key=key(held.pk, AuthorBlockKeys.SK),
                UpdateExpression="SET platform_ban = :ban",
                ConditionExpression="blocked_at = :at AND attribute_not_exists(unblocked_at) "
                                    "AND attribute_not_exists(platform_ban)",
                ExpressionAttributeValues=dynamo.values(ban=platform_ban, at=held.blocked_at)):
            return StoredBlock(**{**vars(held), "platform_ban": platform_ban})
        current = get(held.platform, held.author_id, now)
        if current is None:
            raise ConcurrentChange(f"the block of {held.platform} author {held.author_id} was lifted while the "
                                   "platform banned them: block them again with on_platform to record the ban",
                                   code="block_changed")
        if current.platform_ban is not None:
            return current
        held = current
    raise ConcurrentChange(f"the block of {held.platform} author {held.author_id} kept changing: read it again",
                           code="block_changed")


def unblock(platform: str, author_id: str, actor: str, now: datetime,
            before_lift: Callable[[StoredBlock], None] | None = None) -> StoredBlock:
    """Lift the author's block: the block as it was, with who lifted it and when. UnknownBlock when none holds.
    `before_lift(block)` runs once, before the first write, for a block banned on the platform (it lets the author
    back there); when it raises, nothing is changed."""
    lifted_there = False
    for _ in range(CHANGE_ROUNDS):
        held = get(platform, author_id, now)
        if held is None:
            raise UnknownBlock(f"no block holds for {platform} author {author_id}")
        if held.platform_ban is not None and before_lift is not None and not lifted_there:
            before_lift(held)
            lifted_there = True
        lifted = dynamo.update_if(
            TableName=dynamo.table_name(), Key=key(held.pk, AuthorBlockKeys.SK),
            UpdateExpression="SET unblocked_at = :now, unblocked_by = :by, expires_at = :end REMOVE gsi1pk, gsi1sk",
            ConditionExpression="blocked_at = :at AND attribute_not_exists(unblocked_at)",
            ExpressionAttributeValues=dynamo.values(now=iso(now), by=actor, at=held.blocked_at,
                                                    end=int((now + rules.KEPT_AFTER_END).timestamp())))
        if lifted:
            return StoredBlock(**{**vars(held), "unblocked_at": iso(now), "unblocked_by": actor})
    raise UnknownBlock(f"the block of {platform} author {author_id} kept changing: read it again")


def listed(cursor: str | None, now: datetime) -> tuple[list[StoredBlock], str | None]:
    """The blocks that hold, newest first, a page of at most PAGE (fewer when some in it ended: they are left out
    until TTL takes them)."""
    kwargs: dict[str, Any] = {"IndexName": GSI1, "Limit": PAGE, "ScanIndexForward": False,
                              "KeyConditionExpression": "gsi1pk = :p",
                              "ExpressionAttributeValues": dynamo.values(p=AuthorBlockKeys.LISTING)}
    if cursor:
        kwargs["ExclusiveStartKey"] = decode_cursor(cursor, AuthorBlockKeys.LISTING)
    with dynamo.storage_errors():
        page = dynamo.client().query(TableName=dynamo.table_name(), **kwargs)
    found = (StoredBlock.from_item(dynamo.from_item(item)) for item in page.get("Items", []))
    last = page.get("LastEvaluatedKey")
    return [b for b in found if holds(b, now)], encode_cursor(last) if last else None
