"""A delete asked from the inbox, noted before the platform is called (chalicelib/moderation.py).

The platform's webhook of that very delete may come before the delete is recorded on the message (Facebook's feed
`verb: remove` can beat the write that follows Graph's answer, or a write that failed and is tried again). A deletion
on the platform erases its message unless it was deleted from here (domain.privacy), and this note is how the webhook
knows it was: the text stays, the team's record of why, and the delete is recorded on the message as it comes.

Its own partition (`DELETING#<message id>`, sk `DELETING`), so noting it changes nothing of the message (no revision
moved, no guarded change of a colleague's refused). It lives LIFETIME (TTL on `expires_at`); a delete the platform
certainly did not do is withdrawn at once (`expires_at` now: read as gone before DynamoDB's TTL removes it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import dynamo
from .entities import iso, key
from .table import TTL_ATTRIBUTE

SK = "DELETING"
TYPE = "delete_request"
LIFETIME = timedelta(minutes=15)  # far longer than a platform's webhook of its own delete takes


def pk(message_id: str) -> str:
    return f"DELETING#{message_id}"


def note(message_id: str, actor: str, now: datetime) -> None:
    """`actor` is about to ask the platform to delete the message."""
    expires = int((now + LIFETIME).timestamp())
    with dynamo.storage_errors():
        dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(), Item=dynamo.to_item({
            "pk": pk(message_id), "sk": SK, "type": TYPE, "by": actor, "at": iso(now), TTL_ATTRIBUTE: expires}))


def withdraw(message_id: str, now: datetime) -> None:
    """The platform did not delete it: a deletion it tells of later is someone else's."""
    with dynamo.storage_errors():
        dynamo.write(dynamo.client().update_item, TableName=dynamo.table_name(), Key=key(pk(message_id), SK),
                     UpdateExpression="SET #expires = :now", ExpressionAttributeNames={"#expires": TTL_ATTRIBUTE},
                     ExpressionAttributeValues=dynamo.values(now=int(now.timestamp())))


def pending(message_id: str, now: datetime) -> bool:
    """Whether a delete of the message was asked from here within LIFETIME and not withdrawn."""
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), Key=key(pk(message_id), SK),
                                            ConsistentRead=True)
    item = dynamo.from_item(response["Item"]) if "Item" in response else None
    return item is not None and int(item.get(TTL_ATTRIBUTE, 0)) > now.timestamp()
