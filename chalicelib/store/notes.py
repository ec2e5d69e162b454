"""Internal notes in DynamoDB: under their conversation's partition (read with its head), one per idempotency key,
added in one transaction with the conversation's note count so the limit holds under concurrent adds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import IdempotencyKeyReused, NotesFull
from ..domain.notes import MAX_NOTES
from . import dynamo
from .entities import MessageKeys, NoteKeys, key


@dataclass(frozen=True)
class StoredNote:
    id: str  # the idempotency key the client chose
    conversation: str
    text: str
    by: str
    created_at: str
    erased: dict[str, Any] | None = None  # its text erased with its customer's data (domain.privacy)

    def to_item(self) -> dict[str, Any]:
        fields = {k: v for k, v in asdict(self).items() if v is not None}
        return {"pk": MessageKeys.pk(self.conversation), "sk": NoteKeys.sk(self.id), "type": "note", **fields}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StoredNote":
        return cls(**{name: item[name] for name in cls.__dataclass_fields__ if name in item})


def get(conversation: str, idempotency_key: str) -> StoredNote | None:
    with dynamo.storage_errors():
        response = dynamo.client().get_item(TableName=dynamo.table_name(), ConsistentRead=True,
                                            Key=key(MessageKeys.pk(conversation), NoteKeys.sk(idempotency_key)))
    return StoredNote.from_item(dynamo.from_item(response["Item"])) if "Item" in response else None


def add(note: StoredNote) -> tuple[StoredNote, bool]:
    """Store the note once: (the stored note, True when this call added it). The same key again with the same
    text and author is that note; with anything else it is IdempotencyKeyReused."""
    table = dynamo.table_name()
    operations = [
        {"Put": {"TableName": table, "Item": dynamo.to_item(note.to_item()),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": key(MessageKeys.pk(note.conversation), NoteKeys.COUNT_SK),
                    "UpdateExpression": "ADD notes :one",
                    "ConditionExpression": "attribute_not_exists(notes) OR notes < :limit",
                    "ExpressionAttributeValues": dynamo.values(one=1, limit=MAX_NOTES)}},
    ]
    with dynamo.storage_errors():
        try:
            # the token names this very write (its time too): a retry of a lost answer is that write; a later
            # request with the same key meets the condition and is answered by what is stored
            dynamo.transact(operations, token=dynamo.request_token("note", note.conversation, note.id, note.by,
                                                                   note.created_at, note.text))
        except ClientError as exc:
            codes = dynamo.cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                stored = get(note.conversation, note.id)
                if stored is not None and (stored.text, stored.by) == (note.text, note.by):
                    return stored, False
                raise IdempotencyKeyReused("this idempotency key names another note: a new note needs a new key",
                                           code="idempotency_key_reused") from exc
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise NotesFull(f"a conversation keeps at most {MAX_NOTES} notes") from exc
            raise
    return note, True
