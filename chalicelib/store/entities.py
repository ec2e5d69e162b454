"""The entities of the single table: each owns its keys and its item mapping (one place for key formats).

| entity | pk | sk |
|---|---|---|
| message | `MSG#<id>` | `MSG` (a conversation's head: GSI1 by queue and status, GSI2 by waiting time, lease, snooze or when it closed; a member: GSI1 by conversation) |
| reply | `MSG#<conversation id>` | `RT#<created_at>#<idempotency key>` (newest first by a Query), with `REPLY#<idempotency key>` holding its key once and `COUNT#REPLIES#<shard>` how many there are; a conversation opened before replies were kept by time: the reply itself at `REPLY#<idempotency key>` |
| conversation pointer | `CONVKEY#<conversation key>` | `CONV` |
| customer's conversation | `CUSTOMER#<platform>#<author id>` | `C#<received_at>#<conversation id>` (one per conversation the customer opened; never changed) |
| customer listing position | `CUSTOMER#<platform>#<author id>` | `R#<random id>` (where a page that stopped on a conversation its caller may not read goes on; TTL a day) |
| sent-message lookup | `SENT#<platform>:<platform message id>` | `SENT` |
| a comment's private reply | `PRIVATE#<comment message id>` | `PRIVATE` (`held_by`: the reply holding Meta's one private reply; removed when the platform refused it for good) |
| volume counter shard | `STATS#<queue>` | `H#<UTC hour>#<shard>` (a closed hour's shards folded: `H#<UTC hour>#all`) |
| accuracy counter shard | `ACCURACY#<queue the model chose>` | `D#<UTC day>#<model version>#<shard>` |
| queue counts shard | `QCOUNT#<queue>` | `S#<shard>` |
| author activity shard | `AUTHOR#<platform>#<author id>` | `W#<15-minute window>#<shard>` |
| person activity shard | `AGENT#<key id>` | `H#<UTC hour>#<shard>` and `D#<UTC day>#<shard>` (the same counts by day) |
| correction | `CORRECTION` | `<time>#<message id>` |
| API key | `APIKEY` | `<key id>` |
| channel | `CHANNEL` | `<platform>#<account>` |
| internal note | `MSG#<conversation id>` | `NOTE#<idempotency key>` (and `NOTES`: how many it has) |
| saved reply | `SAVEDREPLY` | `R#<id>` (and `COUNT`: how many there are) |

Counters a message moves are split over COUNTER_SHARDS items, the shard chosen by a hash of the message id
(and moved on when a try meets a conflict): concurrent messages write different items (DynamoDB cancels a
transaction that meets another on one of its items), and a Query over the sort-key range reads them all.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from ..domain.workflow import CLAIMED, OPEN, REMOVED, RESOLVED, SNOOZED
from ..models import OUTBOUND, UNKNOWN_AUTHOR

MAX_PRIORITY = 999
AUTHOR_WINDOW = timedelta(minutes=15)
COUNTER_SHARDS = 32
HISTORY_LIMIT = 50  # entries kept in a message item: the first two (received, classified) and the latest
CORRECTIONS_LIMIT = 20  # re-routes kept in a message item (every one is also a CORRECTION item)


# Lambda answers at most 6 MB, and a listing of messages can hold many: a 64 KiB text grows sixfold as JSON (a
# control character is written \u0001), and one 1 MB DynamoDB read holds fifteen such texts. So a listing stops
# once the messages it answers, counted as JSON writes them, reach ANSWER_BYTES (its first always fits).
ANSWER_BYTES = 1_000_000


def json_size(text: str | None) -> int:
    """Bytes the API's JSON spends on a text (ASCII-escaped, as the answer is written)."""
    return len(json.dumps(text or ""))


def iso(moment: datetime) -> str:
    """Fixed-width UTC timestamps sort as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def hour_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def day_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d")


def shard_of(message_id: str, attempt: int = 0) -> int:
    """The counter shard a message writes: spread evenly over messages; a retry after a conflict moves on.

    Counters are sums over their shards, so any shard counts the same; the message item's own condition is
    what makes the count exactly-once."""
    start = int.from_bytes(hashlib.blake2b(message_id.encode(), digest_size=4).digest(), "big")
    return (start + attempt * 7) % COUNTER_SHARDS


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# messages -----------------------------------------------------------------------------------------------

class MessageKeys:
    """A message item: pk MSG#<id>; listed by GSI1 (queue, status, priority) and GSI2 (age, lease or snooze)."""

    SK = "MSG"

    @staticmethod
    def pk(message_id: str) -> str:
        return f"MSG#{message_id}"

    @staticmethod
    def queue_partition(queue: str, status: str) -> str:
        return f"QUEUE#{queue}#{status}"

    @staticmethod
    def queue_sort(priority: int, received_at: str, message_id: str) -> str:
        # highest priority first, then oldest, then id for a total order
        return f"{MAX_PRIORITY - priority:03d}#{received_at}#{message_id}"

    @staticmethod
    def open_partition(queue: str) -> str:
        return f"OPEN#{queue}"

    @staticmethod
    def lease_partition(queue: str) -> str:
        return f"LEASE#{queue}"

    @staticmethod
    def snooze_partition(queue: str) -> str:
        return f"SNOOZE#{queue}"

    @staticmethod
    def closed_partition(queue: str) -> str:
        return f"CLOSED#{queue}"

    @staticmethod
    def timed_sort(moment: str, message_id: str) -> str:
        return f"{moment}#{message_id}"

    @staticmethod
    def conversation_partition(conversation: str) -> str:
        return f"CONV#{conversation}"

    @staticmethod
    def author_partition(platform: str, author_id: str) -> str:
        return f"BYAUTHOR#{platform}#{author_id}"

    @classmethod
    def author_index(cls, platform: str, author_id: str, received_at: str, message_id: str) -> dict[str, str]:
        """GSI3 keys of a customer's message (domain.privacy: erasing them finds every message they wrote)."""
        return {"gsi3pk": cls.author_partition(platform, author_id), "gsi3sk": f"{received_at}#{message_id}"}

    @classmethod
    def indexes(cls, queue: str, status: str, priority: int, received_at: str, message_id: str,
                lease_expires_at: str | None = None, snoozed_until: str | None = None,
                conversation: str | None = None, waiting_since: str | None = None,
                closed_at: str | None = None) -> dict[str, str]:
        """GSI keys of a message in a state. A member of a conversation is listed under its conversation only.
        Otherwise (a conversation's head) GSI2 is sparse: open by waiting time (since the customer's latest
        message), claimed by lease, snoozed by wake-up, resolved or removed by when it closed (the retention
        sweep's: domain.privacy)."""
        if conversation and conversation != message_id:
            return {"gsi1pk": cls.conversation_partition(conversation), "gsi1sk": f"{received_at}#{message_id}"}
        attributes = {"gsi1pk": cls.queue_partition(queue, status),
                      "gsi1sk": cls.queue_sort(priority, received_at, message_id)}
        if status == OPEN:
            attributes |= {"gsi2pk": cls.open_partition(queue),
                           "gsi2sk": cls.timed_sort(waiting_since or received_at, message_id)}
        elif status == CLAIMED and lease_expires_at:
            attributes |= {"gsi2pk": cls.lease_partition(queue),
                           "gsi2sk": cls.timed_sort(lease_expires_at, message_id)}
        elif status == SNOOZED and snoozed_until:
            attributes |= {"gsi2pk": cls.snooze_partition(queue), "gsi2sk": cls.timed_sort(snoozed_until, message_id)}
        elif status in (RESOLVED, REMOVED) and closed_at:
            attributes |= {"gsi2pk": cls.closed_partition(queue), "gsi2sk": cls.timed_sort(closed_at, message_id)}
        return attributes


# Attributes that belong to one state only: a transition out of it removes them.
STATE_ATTRIBUTES = ("claimed_by", "lease_expires_at", "snoozed_until", "gsi2pk", "gsi2sk")
# What a resolve writes on the head: a reopen (a customer's message, or a person's) removes them; the history keeps them.
RESOLUTION_ATTRIBUTES = ("resolved_at", "resolved_by", "resolution_note", "resolution_reason")


@dataclass
class StoredMessage:
    """A message item as the store reads and writes it (typed; the item mapping lives here)."""

    id: str
    platform: str
    channel: str
    author: dict[str, str]
    text: str
    language: str
    created_at: str
    received_at: str
    received_hour: str
    triage: dict[str, Any]
    queue: str
    status: str
    needs_review: bool
    priority: int
    priority_reasons: list[str]
    rev: int
    history: list[dict[str, Any]] = field(default_factory=list)
    history_dropped: int = 0
    corrections: list[dict[str, Any]] = field(default_factory=list)
    parent_id: str | None = None
    thread_id: str | None = None
    conversation_id: str | None = None
    claimed_by: str | None = None
    lease_expires_at: str | None = None
    first_claimed_at: str | None = None
    snoozed_until: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None
    resolution_reason: str | None = None
    removed_at: str | None = None
    # hidden or deleted on the platform from the inbox (domain.moderation): state, by, at, reason, previous_status
    moderation: dict[str, Any] | None = None
    reopened_at: str | None = None  # head: when it last left `resolved` (a customer's message, or a person)
    text_truncated: bool | None = None  # the platform's text was longer than the store keeps
    edit_version: str | None = None  # orders edits where the platform signs a time (see InboundEvent)
    account: str | None = None  # the brand account it was sent to (or, outbound, from)
    direction: str = "inbound"
    # the conversation (domain.conversations): its id is its head's message id; the head item carries its state
    conversation: str | None = None
    conversation_key: str | None = None
    message_count: int | None = None  # head: messages in the conversation, both directions
    last_inbound_at: str | None = None  # head: the customer's latest message
    last_inbound_text: str | None = None  # head: its first LAST_TEXT_CHARS characters, once a later one joined
    first_reply_at: str | None = None  # head: the brand's first answer (from the inbox or on the platform)
    last_reply_at: str | None = None
    tags: list[str] | None = None  # head: the team's tags (domain.tags), in the order added
    replies_by_time: bool | None = None  # head: its replies are kept by time (ReplyKeys); None in older ones
    erased: dict[str, Any] | None = None  # its content erased (domain.privacy): at, by, reason
    deleting_at: str | None = None  # a delete from the inbox under way: its own webhook erases nothing (domain.privacy)
    # head: the satisfaction survey sent once it was resolved, and the customer's rating (domain.surveys)
    satisfaction: dict[str, Any] | None = None
    sla_breach: dict[str, Any] | None = None  # head: the latest wait past the queue's SLA (domain.sla)

    @property
    def answer_bytes(self) -> int:
        """What it weighs in a listing, as JSON writes it without its history (see ANSWER_BYTES): its texts,
        and its re-routes' reasons, its author and its triage too."""
        return len(json.dumps(self.public(), default=str))

    @property
    def conversation_id_or_own(self) -> str:
        return self.conversation or self.id

    @property
    def is_member(self) -> bool:
        return self.conversation is not None and self.conversation != self.id

    @property
    def shard(self) -> int:
        return shard_of(self.id)

    @property
    def key(self) -> dict[str, Any]:
        return key(MessageKeys.pk(self.id), MessageKeys.SK)

    @property
    def lease_expiry(self) -> datetime | None:
        return parse_iso(self.lease_expires_at) if self.lease_expires_at else None

    def indexes(self, queue: str | None = None, status: str | None = None, lease_expires_at: str | None = None,
                snoozed_until: str | None = None, resolved_at: str | None = None,
                removed_at: str | None = None) -> dict[str, str]:
        status = status or self.status
        return MessageKeys.indexes(queue or self.queue, status, self.priority, self.received_at, self.id,
                                   lease_expires_at, snoozed_until, self.conversation, self.last_inbound_at,
                                   self.closed_at(status, resolved_at, removed_at))

    def closed_at(self, status: str, resolved_at: str | None = None, removed_at: str | None = None) -> str | None:
        """When a conversation in `status` closed (None unless resolved or removed): its resolve, or its removal;
        one shown again as resolved that was never resolved by then (its thread moved on) closed when it was
        removed, and failing that at its customer's latest message."""
        resolved_at, removed_at = resolved_at or self.resolved_at, removed_at or self.removed_at
        if status == RESOLVED:
            return resolved_at or removed_at or self.last_inbound_at or self.received_at
        if status == REMOVED:
            return removed_at or resolved_at or self.last_inbound_at or self.received_at
        return None

    def to_item(self) -> dict[str, Any]:
        item = {f.name: getattr(self, f.name) for f in fields(self)}
        item = {k: v for k, v in item.items() if v is not None}
        state = self.indexes(lease_expires_at=self.lease_expires_at, snoozed_until=self.snoozed_until)
        author_id = self.author.get("id")
        if self.direction != OUTBOUND and not self.erased and author_id and author_id != UNKNOWN_AUTHOR:
            state |= MessageKeys.author_index(self.platform, author_id, self.received_at, self.id)
        return {"pk": MessageKeys.pk(self.id), "sk": MessageKeys.SK, "type": "message", **item, **state}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StoredMessage":
        return cls(**{f.name: item[f.name] for f in fields(cls) if f.name in item})

    def public(self, with_history: bool = False) -> dict[str, Any]:
        """The message's fields for the API (the routes' response models pick what they show)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not with_history:
            out.pop("history")
        return out


class ConversationKeys:
    """Where a conversation key (domain.conversations) points: its current conversation (head message id)."""

    SK = "CONV"

    @staticmethod
    def pk(conversation_key: str) -> str:
        return f"CONVKEY#{conversation_key}"


class CustomerConversationKeys:
    """One item per conversation a customer opened, written with its head (so exactly once): pk
    CUSTOMER#<platform>#<author id>, sk C#<received_at>#<conversation id>; a Query lists them newest first.
    It points only: the conversation's state (queue, status, tags) is read from its head."""

    PREFIX = "C#"
    TYPE = "customer_conversation"
    # a listing's position kept for a cursor when it is a conversation the caller may not read (store.customers):
    # sk R#<random id> in the same partition, its `position` the pointer's sk; gone (TTL) after POSITION_LIFETIME
    POSITION = "R#"
    POSITION_TYPE = "customer_listing_position"
    POSITION_LIFETIME = timedelta(days=1)

    @staticmethod
    def pk(platform: str, author_id: str) -> str:
        return f"CUSTOMER#{platform}#{author_id}"

    @classmethod
    def sk(cls, received_at: str, conversation: str) -> str:
        return f"{cls.PREFIX}{received_at}#{conversation}"

    @classmethod
    def item(cls, platform: str, author_id: str, received_at: str, conversation: str) -> dict[str, Any]:
        return {"pk": cls.pk(platform, author_id), "sk": cls.sk(received_at, conversation), "type": cls.TYPE,
                "conversation": conversation, "received_at": received_at}


class ReplyKeys:
    """A reply sent from the inbox, under its conversation. In a conversation whose head has `replies_by_time`
    it sits at `RT#<created_at>#<idempotency key>`, so its latest replies are one bounded Query; `REPLY#<key>`
    then holds only where it is (`at`: the key can be used once) and `COUNT#REPLIES#<shard>` how many there are (they
    sort before the head: one Query of `sk < "R"` reads head, count and notes). In an older conversation the reply
    itself sits at `REPLY#<idempotency key>` (read with the whole partition, as before)."""

    PREFIX = "REPLY#"
    TIMED_PREFIX = "RT#"
    COUNT_PREFIX = "COUNT#REPLIES#"  # then a shard: agents replying at once write different items
    # a reply while it is `sending` is also in GSI2 under this partition, by when its attempt started, so the sweep
    # finds those whose request was cut off (the key attributes go when it leaves `sending`)
    SENDING_PARTITION = "REPLIES#SENDING"
    COUNT_SHARDS = 8
    KEY_TYPE = "reply_key"
    BEFORE_REPLIES = "R"  # every sort key of the head, its notes and the count sorts below it

    @classmethod
    def sk(cls, idempotency_key: str) -> str:
        return f"{cls.PREFIX}{idempotency_key}"

    @classmethod
    def timed_sk(cls, created_at: str, idempotency_key: str) -> str:
        return f"{cls.TIMED_PREFIX}{created_at}#{idempotency_key}"

    @classmethod
    def sending_sort(cls, attempt_at: str, conversation: str, idempotency_key: str) -> str:
        return f"{attempt_at}#{conversation}#{idempotency_key}"

    @classmethod
    def count_sk(cls, idempotency_key: str, attempt: int = 0) -> str:
        return f"{cls.COUNT_PREFIX}{shard_of(idempotency_key, attempt) % cls.COUNT_SHARDS}"


class NoteKeys:
    """An internal note on a conversation (never sent), under the conversation by idempotency key; `NOTES`
    counts them."""

    PREFIX = "NOTE#"
    COUNT_SK = "NOTES"

    @classmethod
    def sk(cls, idempotency_key: str) -> str:
        return f"{cls.PREFIX}{idempotency_key}"


class SentKeys:
    """A platform's id of a message the brand sent from the inbox -> its reply (for echoes and delivery status)."""

    SK = "SENT"

    @staticmethod
    def pk(platform: str, platform_message_id: str) -> str:
        return f"SENT#{platform}:{platform_message_id}"


class PrivateReplyKeys:
    """A comment's one private reply (Meta allows one per comment): which reply holds it. Its own partition, so
    holding it is one conditional put in the reply's reservation, whatever way its conversation keeps replies."""

    SK = "PRIVATE"
    TYPE = "private_reply"

    @staticmethod
    def pk(message_id: str) -> str:
        return f"PRIVATE#{message_id}"  # the comment's message id: "<platform>:<native id>"


# counters ---------------------------------------------------------------------------------------------

class VolumeCounterKeys:
    """Messages received per queue and hour (UTC), in shards: pk STATS#<queue>, sk H#<hour>#<shard>.

    Per-platform counts are attributes (`messages:<platform>`), so a week of stats reads at most
    3 x 168 x COUNTER_SHARDS items, whatever the message count. `open` counts messages of that hour still open.
    Once an hour has closed, the sweep folds its shards into one item, sk H#<hour>#all (store.counters.fold_hour),
    so that a year of stats reads one item per queue and hour; every shard write also ADDs to `writes`, which
    the fold's conditions compare.
    """

    FOLDED = "all"
    WRITES = "writes"

    @staticmethod
    def pk(queue: str) -> str:
        return f"STATS#{queue}"

    @staticmethod
    def sk(hour: str, shard: int) -> str:
        return f"H#{hour}#{shard:02d}"

    @classmethod
    def folded_sk(cls, hour: str) -> str:
        return f"H#{hour}#{cls.FOLDED}"

    @staticmethod
    def hour(sk: str) -> str:
        return sk[2:15]

    @staticmethod
    def between(first_hour: str, last_hour: str) -> tuple[str, str]:
        return f"H#{first_hour}#", f"H#{last_hour}#~"


class ModelCounterKeys:
    """Live accuracy per queue the model chose, day and model version, in shards:
    pk ACCURACY#<queue>, sk D#<day>#<version>#<shard>."""

    @staticmethod
    def pk(queue: str) -> str:
        return f"ACCURACY#{queue}"

    @staticmethod
    def sk(day: str, version: str, shard: int) -> str:
        return f"D#{day}#{version}#{shard:02d}"

    @staticmethod
    def between(first_day: str, last_day: str) -> tuple[str, str]:
        return f"D#{first_day}#", f"D#{last_day}#\uffff"


class QueueCountKeys:
    """A queue's messages by state, in shards: pk QCOUNT#<queue>, sk S#<shard>; attributes open, claimed,
    snoozed and needs_review (active messages the model was unsure of). The overview sums the shards."""

    @staticmethod
    def pk(queue: str) -> str:
        return f"QCOUNT#{queue}"

    @staticmethod
    def sk(shard: int) -> str:
        return f"S#{shard:02d}"


class PersonActivityKeys:
    """What one person (an API key) did, per UTC hour it happened: conversations resolved, with their time to
    resolve, and replies sent; pk AGENT#<key id>, sk H#<hour>#<shard>. The same transaction adds the same counts
    to the UTC day, sk D#<day>#<shard>, so a year reads as days plus the hours at its ends. One person works one
    request at a time, so two shards are plenty (and a month of a person reads as one small Query)."""

    SHARDS = 2

    @staticmethod
    def pk(key_id: str) -> str:
        return f"AGENT#{key_id}"

    @classmethod
    def sk(cls, hour: str, shard: int) -> str:
        return f"H#{hour}#{shard % cls.SHARDS:02d}"

    @classmethod
    def day_sk(cls, day: str, shard: int) -> str:
        return f"D#{day}#{shard % cls.SHARDS:02d}"

    hour = staticmethod(VolumeCounterKeys.hour)
    between = staticmethod(VolumeCounterKeys.between)
    DAYS = "D#"  # the prefix of every daily item

    @staticmethod
    def day(sk: str) -> str:
        return sk[2:12]

    @staticmethod
    def days_between(first_day: str, last_day: str) -> tuple[str, str]:
        return f"D#{first_day}#", f"D#{last_day}#~"


class AuthorActivityKeys:
    """Messages per author in a 15-minute window (TTL-expired), in shards (one author may post a burst):
    pk AUTHOR#<platform>#<id>, sk W#<window>#<shard>."""

    @staticmethod
    def pk(platform: str, author_id: str) -> str:
        return f"AUTHOR#{platform}#{author_id}"

    @staticmethod
    def window(moment: datetime) -> str:
        epoch = int(moment.timestamp())
        size = int(AUTHOR_WINDOW.total_seconds())
        return f"W#{epoch - epoch % size}#"

    @classmethod
    def sk(cls, moment: datetime, shard: int) -> str:
        return f"{cls.window(moment)}{shard:02d}"


class AuthorBlockKeys:
    """A blocked author (domain.blocks), in their activity partition: pk AUTHOR#<platform>#<id>, sk ~BLOCK. It sorts
    after every activity window, so the one Query the webhook path makes for the author's recent messages reads
    it too. Listed by GSI1 (BLOCKS, newest first) while it holds; TTL removes it once expired or lifted."""

    SK = "~BLOCK"
    LISTING = "BLOCKS"
    TYPE = "author_block"

    @staticmethod
    def listing_sort(blocked_at: str, platform: str, author_id: str) -> str:
        return f"{blocked_at}#{platform}#{author_id}"


@dataclass(frozen=True)
class StoredBlock:
    """An author whose new messages are kept out of the queues (domain.blocks)."""

    platform: str
    author_id: str
    blocked_by: str
    blocked_at: str
    reason: str | None = None
    name: str | None = None
    handle: str | None = None
    until: str | None = None  # when it ends by itself (None: until lifted)
    unblocked_at: str | None = None  # lifted: kept (out of the listing) until TTL takes it
    unblocked_by: str | None = None
    # banned on the platform too (domain.bans): {"account": the brand account, "at": when, "chat_id": Telegram group}
    platform_ban: dict[str, str] | None = None

    @property
    def pk(self) -> str:
        return AuthorActivityKeys.pk(self.platform, self.author_id)

    def to_item(self, lifetime_end: datetime | None) -> dict[str, Any]:
        item = {"pk": self.pk, "sk": AuthorBlockKeys.SK, "type": AuthorBlockKeys.TYPE,
                **{f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}}
        if self.unblocked_at is None:
            item |= {"gsi1pk": AuthorBlockKeys.LISTING,
                     "gsi1sk": AuthorBlockKeys.listing_sort(self.blocked_at, self.platform, self.author_id)}
        if lifetime_end is not None:
            item["expires_at"] = int(lifetime_end.timestamp())
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StoredBlock":
        return cls(**{f.name: item[f.name] for f in fields(cls) if f.name in item})


# corrections and API keys ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Correction:
    """An agent's re-route, kept for the stats and for retraining: pk CORRECTION, sk <time>#<message id>."""

    PK = "CORRECTION"

    message_id: str
    text: str
    language: str | None
    from_queue: str
    to_queue: str
    by: str
    at: str
    reason: str
    model_version: str

    def in_message(self) -> dict[str, Any]:
        """The correction as the message item lists it."""
        return {"from": self.from_queue, "to": self.to_queue, "by": self.by, "at": self.at, "reason": self.reason,
                "model_version": self.model_version}

    def to_item(self) -> dict[str, Any]:
        item = {"pk": self.PK, "sk": f"{self.at}#{self.message_id}", "type": "correction",
                "message_id": self.message_id, "text": self.text, "language": self.language, **self.in_message()}
        return {k: v for k, v in item.items() if v is not None}


class ApiKeyKeys:
    """API keys (hashed) in one small partition: pk APIKEY, sk <key id>."""

    PK = "APIKEY"


class SpikeKeys:
    """One marker per category and UTC hour found anomalous: pk SPIKE#<queue>, sk H#<hour>.

    Written once (conditional put), so the table's stream announces each spike once however often the
    scheduled detection runs.
    """

    TYPE = "spike"

    @staticmethod
    def pk(queue: str) -> str:
        return f"SPIKE#{queue}"

    @staticmethod
    def sk(hour: str) -> str:
        return f"H#{hour}"

    @staticmethod
    def is_marker(item: dict) -> bool:
        return item.get("type") == SpikeKeys.TYPE and str(item.get("pk", "")).startswith("SPIKE#")


# channels ------------------------------------------------------------------------------------------------

class ChannelKeys:
    """One item per brand channel (platform, account), all in one small partition: pk CHANNEL,
    sk <platform>#<account>. Written at most once a minute by webhooks and once per reply sent."""

    PK = "CHANNEL"
    TYPE = "channel"

    @staticmethod
    def sk(platform: str, account: str) -> str:
        return f"{platform}#{account}"

    @classmethod
    def is_channel(cls, item: dict) -> bool:
        return item.get("pk") == cls.PK and item.get("type") == cls.TYPE


@dataclass
class StoredChannel:
    """A channel's item: what the API saw of it (webhooks received, sends and their results)."""

    platform: str
    account: str
    last_webhook_at: str | None = None
    last_send_at: str | None = None
    last_send_ok: bool | None = None
    last_send_error: dict[str, str] | None = None  # kind and message of the last send, when it failed
    token_error: str | None = None  # the kind of a token or permission failure no successful send followed
    token_error_since: str | None = None  # the first such failure
    sends_ok: int = 0
    sends_failed: int = 0
    rev: int = 0  # bumped by every recorded send (orders the channel's events)

    @property
    def key(self) -> dict[str, Any]:
        return key(ChannelKeys.PK, ChannelKeys.sk(self.platform, self.account))

    def to_item(self) -> dict[str, Any]:
        item = {f.name: getattr(self, f.name) for f in fields(self)}
        return {"pk": ChannelKeys.PK, "sk": ChannelKeys.sk(self.platform, self.account), "type": ChannelKeys.TYPE,
                **{k: v for k, v in item.items() if v is not None}}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StoredChannel":
        return cls(**{f.name: item[f.name] for f in fields(cls) if f.name in item})

    def public(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rev"}


# saved replies ----------------------------------------------------------------------------------------

class SavedReplyKeys:
    """Saved replies in one partition (a few hundred at most): pk SAVEDREPLY, sk R#<id>; sk COUNT counts them."""

    PK = "SAVEDREPLY"
    PREFIX = "R#"
    COUNT_SK = "COUNT"
    TYPE = "saved_reply"

    @classmethod
    def sk(cls, saved_reply_id: str) -> str:
        return f"{cls.PREFIX}{saved_reply_id}"


@dataclass
class StoredSavedReply:
    id: str
    title: str
    text: str
    queues: list[str]
    language: str | None
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    rev: int = 1

    @classmethod
    def new(cls, title: str, text: str, queues: list[str], language: str | None, actor: str,
            at: str) -> "StoredSavedReply":
        return cls(secrets.token_hex(8), title, text, queues, language, actor, at, actor, at)

    @property
    def key(self) -> dict[str, Any]:
        return key(SavedReplyKeys.PK, SavedReplyKeys.sk(self.id))

    def to_item(self) -> dict[str, Any]:
        item = {f.name: getattr(self, f.name) for f in fields(self)}
        return {"pk": SavedReplyKeys.PK, "sk": SavedReplyKeys.sk(self.id), "type": SavedReplyKeys.TYPE,
                **{k: v for k, v in item.items() if v is not None}}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StoredSavedReply":
        return cls(**{f.name: item.get(f.name) for f in fields(cls) if f.name in item or f.name == "language"})

    def public(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SETTINGS_PK = "SETTINGS"  # the items managers replace whole (store.settings), one sort key each


class AwayMessageKeys:
    """The away message (domain.away): one item, pk SETTINGS, sk AWAY, changed at the revision read."""

    PK = SETTINGS_PK
    SK = "AWAY"
    TYPE = "away_message"


class RoutingRulesKeys:
    """The routing rules (domain.routing_rules): one item, pk SETTINGS, sk ROUTING_RULES, replaced at the revision read."""

    PK = SETTINGS_PK
    SK = "ROUTING_RULES"
    TYPE = "routing_rules"


class SurveyKeys:
    """The satisfaction survey (domain.surveys): one item, pk SETTINGS, sk SURVEY, changed at the revision read."""

    PK = SETTINGS_PK
    SK = "SURVEY"
    TYPE = "satisfaction_survey"


class WhatsAppTemplatesKeys:
    """The WhatsApp templates managers saved (domain.whatsapp_templates): one item, pk SETTINGS, sk WHATSAPP_TEMPLATES,
    replaced at the revision read."""

    PK = SETTINGS_PK
    SK = "WHATSAPP_TEMPLATES"
    TYPE = "whatsapp_templates"


class SlaWatchKeys:
    """How far the sweep has looked for SLA breaches in a queue (domain.sla): pk SLA_WATCH, sk the queue, `swept_to`
    the open index's sort key (waiting since) it reached."""

    PK = "SLA_WATCH"
    TYPE = "sla_watch"


class BusinessHoursKeys:
    """The business hours managers saved (domain.business_hours): one item, pk SETTINGS, sk BUSINESS_HOURS."""

    PK = SETTINGS_PK
    SK = "BUSINESS_HOURS"
    TYPE = "business_hours"
