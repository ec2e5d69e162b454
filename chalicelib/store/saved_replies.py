"""Saved replies in DynamoDB: each an item of one partition, added and deleted in one transaction with the
partition's count (so the limit holds under concurrent adds), changed only at the revision the editor read."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from botocore.exceptions import ClientError

from ..domain.errors import ConcurrentChange, SavedRepliesFull, UnknownSavedReply
from ..domain.saved_replies import MAX_SAVED_REPLIES, visible
from . import dynamo
from .entities import SavedReplyKeys, StoredSavedReply, key

_COUNT = key(SavedReplyKeys.PK, SavedReplyKeys.COUNT_SK)
_ID = re.compile(r"[0-9a-f]{16}")


def _known(saved_reply_id: str) -> str:
    """An id this store could have made (StoredSavedReply.new); any other names nothing."""
    if not _ID.fullmatch(saved_reply_id):
        raise UnknownSavedReply(f"no saved reply {saved_reply_id[:40]!r}")
    return saved_reply_id


def create(saved: StoredSavedReply) -> StoredSavedReply:
    table = dynamo.table_name()
    operations = [
        {"Put": {"TableName": table, "Item": dynamo.to_item(saved.to_item()),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": _COUNT, "UpdateExpression": "ADD saved_replies :one",
                    "ConditionExpression": "attribute_not_exists(saved_replies) OR saved_replies < :limit",
                    "ExpressionAttributeValues": dynamo.values(one=1, limit=MAX_SAVED_REPLIES)}},
    ]
    with dynamo.storage_errors():
        try:
            dynamo.transact(operations, token=dynamo.request_token("saved-reply", saved.id))
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise SavedRepliesFull(f"a brand keeps at most {MAX_SAVED_REPLIES} saved replies: delete one first",
                                       code="saved_replies_full") from exc
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise ConcurrentChange("a saved reply with this id exists; try again") from exc
            raise
    return saved


def list_all() -> list[StoredSavedReply]:
    """Every saved reply, by title."""
    with dynamo.storage_errors():
        found = [StoredSavedReply.from_item(item) for item in dynamo.query_pages(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=dynamo.values(pk=SavedReplyKeys.PK, prefix=SavedReplyKeys.PREFIX))]
    return sorted(found, key=lambda saved: (saved.title.casefold(), saved.id))


def usable_by(can_work: Callable[[str], bool]) -> list[StoredSavedReply]:
    """The saved replies of the queues someone works (domain.saved_replies.visible), by title."""
    return [saved for saved in list_all() if visible(saved.queues, can_work)]


def get(saved_reply_id: str) -> StoredSavedReply | None:
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=True,
                                            Key=key(SavedReplyKeys.PK, SavedReplyKeys.sk(saved_reply_id)))
    return StoredSavedReply.from_item(dynamo.from_item(response["Item"])) if "Item" in response else None


def update(saved_reply_id: str, rev: int, title: str, text: str, queues: list[str], language: str | None,
           actor: str, at: str) -> StoredSavedReply:
    """The saved reply as changed, when it is still at `rev` (else ConcurrentChange: read it again)."""
    current = get(_known(saved_reply_id))
    if current is None:
        raise UnknownSavedReply(f"no saved reply {saved_reply_id!r}")
    if current.rev != rev:
        raise ConcurrentChange(f"the saved reply changed meanwhile (now at rev {current.rev}): read it again")
    changed = replace(current, title=title, text=text, queues=queues, language=language, updated_by=actor,
                      updated_at=at, rev=rev + 1)
    with dynamo.storage_errors():
        try:
            dynamo.write(dynamo.client().put_item, TableName=dynamo.table_name(), Item=dynamo.to_item(changed.to_item()),
                         ConditionExpression="rev = :rev", ExpressionAttributeValues=dynamo.values(rev=rev))
        except ClientError as exc:
            if dynamo.error_code(exc) == "ConditionalCheckFailedException":
                raise ConcurrentChange("the saved reply changed meanwhile: read it again") from exc
            raise
    return changed


def delete(saved_reply_id: str) -> None:
    _known(saved_reply_id)
    table = dynamo.table_name()
    operations = [
        {"Delete": {"TableName": table, "Key": key(SavedReplyKeys.PK, SavedReplyKeys.sk(saved_reply_id)),
                    "ConditionExpression": "attribute_exists(pk)"}},
        {"Update": {"TableName": table, "Key": _COUNT, "UpdateExpression": "ADD saved_replies :minus_one",
                    "ExpressionAttributeValues": dynamo.values(minus_one=-1)}},
    ]
    with dynamo.storage_errors():
        try:
            # the token: botocore's retry of a delete whose answer was lost is that delete, not a 404
            dynamo.transact(operations, token=dynamo.request_token("saved-reply-delete", saved_reply_id))
        except ClientError as exc:
            if dynamo.cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                raise UnknownSavedReply(f"no saved reply {saved_reply_id!r}") from exc
            raise
