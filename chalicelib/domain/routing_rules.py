"""Routing rules (Sprout Social's inbox rules, Hootsuite's automation, Chatwoot's automation, Zendesk's triggers): a
manager's "when a message says any of these words (on these platforms, channels, languages), send it to this queue,
tag it, raise its priority", applied to every customer message as it arrives. In a crisis (a product recall, a
boycott hashtag) one rule routes all of it to the right team, where the model would be corrected message by message.

A rule outranks the model: the first enabled rule that matches and names a queue decides the queue (the model's
verdict is kept beside it, and the second opinion leaves the message alone); every matching rule adds its tags (to
the conversation the message opens) and the largest boost among them raises the priority. A rule may also answer
(Chatwoot's and Zendesk's "send a message" action, Sprout's and Hootsuite's automated responses): the first matching
rule with a `reply` sends it to a customer's direct message at once, once per conversation (decide_reply), never
under a public post. Words are matched in the
text as Unicode folds it (NFKC, case folded: "RECALL", "Recall" and "ｒｅｃａｌｌ" are one word); a word that
starts or ends with a Latin letter or digit is matched there as a whole word ("car" is not in "card"), Japanese
anywhere.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from datetime import datetime, timedelta

from . import tags as tag_rules
from .automatic_messages import check_texts, is_direct_message
from .errors import InvalidRequest, RuleReplyTooLong
from .workflow import CLAIMED, REMOVED

MAX_RULES = 50
MAX_NAME_CHARS = 80
MAX_WORDS = 20
MAX_WORD_CHARS = 50  # with MAX_WORDS and MAX_RULES, the rules stay one item (DynamoDB: 400 KB)
MAX_RULE_TAGS = 5
MAX_BOOST = 50
MAX_REPLY_CHARS = 500  # with the words, 50 rules stay one item
REPLY_ACTOR = "system:rule"
# an event older than this (a backlog, a redrive) sends nothing: an instant answer that comes late is noise
REPLY_STALE_AFTER = timedelta(minutes=30)
LANGUAGES = ("en", "ja", "other")
_LATIN = "0-9a-z\u00df-\u024f"  # letters and digits a Latin word is bounded by


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _word_pattern(word: str) -> str:
    folded = re.escape(fold(word))
    before = rf"(?<![{_LATIN}])" if re.match(rf"[{_LATIN}]", fold(word)) else ""
    after = rf"(?![{_LATIN}])" if re.search(rf"[{_LATIN}]$", fold(word)) else ""
    return f"{before}{folded}{after}"


@dataclass(frozen=True)
class RoutingRule:
    id: str
    name: str
    enabled: bool = True
    words: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    queue: str | None = None
    tags: tuple[str, ...] = ()
    priority_boost: int = 0
    reply: str | None = None  # sent to a matching direct message, once per conversation

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(8)

    @cached_property
    def _words(self) -> re.Pattern[str] | None:
        return re.compile("|".join(_word_pattern(w) for w in self.words)) if self.words else None

    def matches(self, folded_text: str, platform: str, channel: str, language: str) -> bool:
        """Whether a message (its text already `fold`ed) meets every condition: any of the words, and its platform,
        channel and language among those named (none named: any)."""
        return (self.enabled
                and (not self.platforms or platform in self.platforms)
                and (not self.channels or channel in self.channels)
                and (not self.languages or (language if language in ("en", "ja") else "other") in self.languages)
                and (self._words is None or self._words.search(folded_text) is not None))

    def public(self) -> dict:
        return {"id": self.id, "name": self.name, "enabled": self.enabled, "words": list(self.words),
                "platforms": list(self.platforms), "channels": list(self.channels), "languages": list(self.languages),
                "queue": self.queue, "tags": list(self.tags), "priority_boost": self.priority_boost,
                "reply": self.reply}


@dataclass(frozen=True)
class RoutingRules:
    rules: tuple[RoutingRule, ...] = ()
    updated_by: str | None = None
    updated_at: str | None = None
    rev: int = 0  # 0: never saved


@dataclass(frozen=True)
class Routing:
    """What the rules decided for one message."""

    queue: str | None = None  # a rule's queue (None: the model's stands)
    rule: RoutingRule | None = None  # the rule that set it
    tags: list[str] = field(default_factory=list)
    boost: int = 0
    matched: list[str] = field(default_factory=list)  # every matching rule's name, in order
    replying: RoutingRule | None = None  # the first matching rule with a reply

    @property
    def reasons(self) -> list[str]:
        return [f"rule:{name}" for name in self.matched]


def route(rules: RoutingRules, text: str, platform: str, channel: str, language: str) -> Routing | None:
    """The rules' decision for a message; None when no rule matches."""
    if not rules.rules:
        return None
    folded = fold(text)
    matched = [r for r in rules.rules if r.matches(folded, platform, channel, language)]
    if not matched:
        return None
    deciding = next((r for r in matched if r.queue), None)
    tags = list(dict.fromkeys(t for r in matched for t in r.tags))[:tag_rules.MAX_TAGS]
    return Routing(queue=deciding.queue if deciding else None, rule=deciding, tags=tags,
                   boost=max(r.priority_boost for r in matched), matched=[r.name for r in matched],
                   replying=next((r for r in matched if r.reply), None))


def check(rules: list[RoutingRule]) -> None:
    """What a manager may save: at most MAX_RULES, each with a condition and an action, each its own id (names are
    labels: two rules may share one)."""
    if len(rules) > MAX_RULES:
        raise InvalidRequest(f"at most {MAX_RULES} routing rules")
    for rule in rules:
        if not (rule.words or rule.platforms or rule.channels or rule.languages):
            raise InvalidRequest(f"rule {rule.name!r} needs a condition (words, platforms, channels or languages): "
                                 "a rule without one would route every message")
        if not (rule.queue or rule.tags or rule.priority_boost or rule.reply):
            raise InvalidRequest(f"rule {rule.name!r} does nothing: give it a queue, tags, a priority boost or a reply")
        if rule.reply:
            check_texts(f"rule {rule.name!r}", True, rule.reply, {}, RuleReplyTooLong)
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("two rules have the same id")


def normalized_tags(raw: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tag_rules.normalized(t) for t in raw))


@dataclass(frozen=True)
class ReplyDecision:
    send: bool
    reason: str  # why not (for the function's metrics), or "due"


def decide_reply(rule: RoutingRule | None, *, platform: str, channel: str, direction: str, message_status: str,
                 received_at: datetime, erased: bool, head_status: str, lease_expiry: datetime | None,
                 now: datetime) -> ReplyDecision:
    """Whether a customer's new message gets `rule`'s reply now (the first matching rule with one; None: no rule
    answers it). Only in direct messages; not to a held-back, hidden, deleted or erased message; not when someone
    holds the conversation (they answer); not from a stale event. Once per conversation and rule: reply_key."""
    if rule is None:
        return ReplyDecision(False, "no_rule")
    if not is_direct_message(platform, channel, direction):
        return ReplyDecision(False, "not_a_direct_message")
    if message_status == REMOVED or head_status == REMOVED or erased:
        return ReplyDecision(False, "removed")
    if now - received_at > REPLY_STALE_AFTER:
        return ReplyDecision(False, "stale")
    if head_status == CLAIMED and lease_expiry is not None and lease_expiry > now:
        return ReplyDecision(False, "claimed")
    return ReplyDecision(True, "due")


def reply_key(rule: RoutingRule) -> str:
    """A rule answers a conversation once, however often its customer writes the words again."""
    return f"rule-{rule.id}"
