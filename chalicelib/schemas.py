"""The HTTP contract's bodies and query strings: the routes parse requests into these models and answer with
them, and the OpenAPI document is generated from them (chalicelib/openapi.py). Pydantic at the edge; plain
dicts and dataclasses inside.

Naming follows the FastAPI template: XCreate for a request body, XOut for a response, XQuery for a query string.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, RootModel, create_model,
                      model_serializer, model_validator)

from .models import MAX_ID_BYTES, Queue, Skip
from .stats import MAX_BASELINE_HOURS, MIN_BASELINE_HOURS
from .bulk import MAX_BULK
from .domain import automatic_messages, blocks, privacy, routing_rules, tags, whatsapp_templates
from .domain.notes import MAX_NOTE_CHARS
from .domain.saved_replies import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from .store.messages import Outcome
from .store.queue import ListFilter

MIN_LEASE_SECONDS, MAX_LEASE_SECONDS = 30, 86_400
MAX_KEY_LIFETIME_DAYS = 5 * 366
# next_cursor is unpadded URL-safe base64 (store/queue.py encode_cursor)
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,2000}$"


class _Model(BaseModel):
    # validators are built on first use, not at import: most Lambda containers serve only webhooks
    model_config = ConfigDict(defer_build=True)


class _Body(_Model):
    model_config = ConfigDict(extra="forbid")


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 900.0 as an integer, so the API does too; true, "900" and 900.5 stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole_number(minimum: int, maximum: int) -> Any:
    """An integer in [minimum, maximum]: bounds first, so that the document carries them."""
    return Annotated[int, Field(strict=True, ge=minimum, le=maximum), BeforeValidator(_whole_number)]


# request bodies ------------------------------------------------------------------------------------

class ClaimCreate(_Body):
    count: whole_number(1, 50) = Field(1, description="claim up to this many messages")
    lease_seconds: whole_number(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS) = Field(
        900, description="the claim expires after this long")


class TakeCreate(_Body):
    lease_seconds: whole_number(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS) = Field(
        900, description="the claim expires after this long")


KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", description="the person's key id (GET /team)")]
ASSIGN_LEASE_SECONDS = 4 * 3_600  # an assignment outlasts a claim's default: the person may not be at the inbox yet


class AssignCreate(_Body):
    key_id: KeyId
    lease_seconds: whole_number(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS) = Field(
        ASSIGN_LEASE_SECONDS, description="the claim made for them expires after this long")


class ResolveCreate(_Body):
    note: str | None = Field(None, max_length=2_000)


class ReopenCreate(_Body):
    reason: str | None = Field(None, max_length=500, description="why it is opened again (kept in its history)")


class ModerationCreate(_Body):
    action: Literal["hide", "unhide", "delete"] = Field(
        description="hide (anyone who works its queue; its author still sees it), unhide (show a message hidden from "
                    "here again), delete (managers and admins; cannot be undone)")
    reason: str | None = Field(None, max_length=500, description="why (kept in its history)")


def _storable_id(value: str) -> str:
    """An id as the platforms' ids are stored: at most MAX_ID_BYTES of valid UTF-8 (no stored author has another)."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("ids must be valid Unicode text") from None
    if size > MAX_ID_BYTES:
        raise ValueError(f"ids are at most {MAX_ID_BYTES} bytes")
    return value


AuthorId = Annotated[str, Field(min_length=1, max_length=MAX_ID_BYTES), AfterValidator(_storable_id)]


class ErasureCreate(_Body):
    platform: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the customer's platform, e.g. `facebook`")
    author_id: AuthorId = Field(description="the platform's id of the customer (a message's "
                           "`author.id`); `unknown` is many people and cannot be erased")
    reason: str | None = Field(None, max_length=privacy.MAX_REQUEST_CHARS,
                               description="the request it answers (a ticket, a date): kept in each erased message's "
                                           "history; write no personal data here")


class BlockCreate(_Body):
    platform: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the author's platform, e.g. `facebook`")
    author_id: AuthorId = Field(description="the platform's id of the author (a message's `author.id`); `unknown` is "
                                "many people and cannot be blocked")
    reason: str | None = Field(None, max_length=blocks.MAX_REASON_CHARS,
                               description="why (shown with the block and on each message it holds back)")
    expires_in_days: int | None = Field(None, ge=1, le=blocks.MAX_DAYS,
                                        description="the block ends by itself after this many days (none: until lifted)")
    on_platform: bool = Field(False, strict=True, description="ban the author on the platform too, as the brand account "
                              "their latest message came to (Facebook and Messenger: a Page ban; WhatsApp: a block; X: "
                              "a mute; Telegram: a ban from the group of their latest message); the platform is asked "
                              "first and the block stored only once it did it. An author with no stored message is 404 "
                              "`unknown_author`; Instagram offers no ban, and a ban does not end by itself: 422 "
                              "`platform_ban_unsupported` / `platform_ban_not_timed`; nothing is called then. The "
                              "platform's refusals answer as a reply's (424, 422, 429, 502), nothing stored")


class SnoozeCreate(_Body):
    until: datetime = Field(description="when the message reopens (1 minute to 30 days ahead; without an offset: UTC)")


class RerouteCreate(_Body):
    queue: Queue
    reason: str = Field(min_length=1, max_length=500)


class ReplyCreate(_Body):
    text: str = Field(min_length=1, max_length=4_000, pattern=r"\S", description="what the customer reads (not blank)")
    reply_to: str | None = Field(None, max_length=600,
                                 description="the customer message answered (default: the conversation's latest)")
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="chosen by the client per reply; a retry with the same key never sends twice")
    private: bool = Field(False, strict=True, description="send it as a direct message to the author of the Facebook or Instagram "
                          "comment answered (Meta's Private Replies): once per comment, within 7 days of it; any other "
                          "message is 422 `private_reply_unsupported`, a second one 409 `private_reply_already_sent`")


ConversationIds = Annotated[
    list[Annotated[str, Field(min_length=3, max_length=1100, pattern=r"^[^:]+:.+$")]],
    Field(min_length=1, max_length=MAX_BULK, description=f"at most {MAX_BULK}; a repeated id counts once")]


# a tag as the contract takes it: its pattern spells out code points, so it means the same in every engine
Tag = Annotated[str, Field(min_length=1, max_length=tags.MAX_TAG_CHARS, pattern=tags.TAG_PATTERN,
                           description="any script; no space, invisible or control character, no comma. Kept in one "
                           "spelling (NFKC case fold): `VIP`, `vip` and `ｖｉｐ` are one tag")]
TagQuery = Annotated[str, Field(min_length=1, max_length=tags.MAX_TAG_CHARS, pattern=tags.TAG_PATTERN)]
TagList = Annotated[list[Tag], Field(max_length=tags.MAX_CHANGE)]


class TagsChange(_Body):
    add: TagList = Field(default_factory=list, description="tags to add (those it has already stay as they are)")
    remove: TagList = Field(default_factory=list, description="tags to remove (removal wins over an add of the same tag)")


class BulkResolve(_Body):
    action: Literal["resolve"]
    conversation_ids: ConversationIds
    note: str | None = Field(None, max_length=2_000, description="the resolution note")


class BulkRelease(_Body):
    action: Literal["release"]
    conversation_ids: ConversationIds


class BulkReroute(_Body):
    action: Literal["reroute"]
    conversation_ids: ConversationIds
    queue: Queue
    reason: str = Field(min_length=1, max_length=500)


class BulkTag(TagsChange):
    action: Literal["tag"]
    conversation_ids: ConversationIds


class BulkAssign(AssignCreate):
    action: Literal["assign"]
    conversation_ids: ConversationIds


class BulkHide(_Body):
    action: Literal["hide", "unhide"] = Field(description="hide each conversation's first message on its platform, "
                                              "or show it again (undoing a hide)")
    conversation_ids: ConversationIds
    reason: str | None = Field(None, max_length=500, description="why (kept in each first message's history)")


class BulkReopen(_Body):
    action: Literal["reopen"]
    conversation_ids: ConversationIds
    reason: str | None = Field(None, max_length=500, description="why they are opened again (kept in each history)")


class BulkReply(_Body):
    action: Literal["reply"]
    conversation_ids: ConversationIds
    text: str = Field(min_length=1, max_length=4_000, pattern=r"\S", description="what each customer reads (a "
                      "crisis statement, an outage notice); `{{customer_name}}` is filled in with each one's name. "
                      "Direct messages only: a public post or comment is refused (`public_conversation`), as the "
                      "same words under many public posts read as spam")
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="chosen by the client for this bulk reply: sending the request again "
                                 "(after `not_attempted` ones) never answers a conversation twice")
    resolve: bool = Field(False, strict=True, description="resolve each conversation once its reply is sent (a "
                          "conversation whose reply was refused stays as it was)")


class BulkCreate(RootModel[Annotated[Union[BulkResolve, BulkRelease, BulkReroute, BulkTag, BulkAssign, BulkReopen,
                                           BulkHide, BulkReply],
                                     Field(discriminator="action")]]):
    """One action on several conversations, each by the single action's rules."""

    model_config = ConfigDict(defer_build=True)


class BulkResultOut(_Model):
    id: str
    outcome: str = Field(description="`done`, the code a single action would have answered (`not_claim_holder`, "
                         "`wrong_status`, `unknown_conversation`...), or `not_attempted` after storage failed")
    status: str | None = Field(None, description="done: the conversation's status now")
    message: str | None = Field(None, description="refused: why, in words")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class BulkOut(_Model):
    results: list[BulkResultOut] = Field(description="one per conversation, in the order sent")
    done: int
    refused: int = Field(description="refused or not attempted")


class NoteCreate(_Body):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, pattern=r"\S",
                      description="for the team only: never sent to the customer (not blank)")
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="chosen by the client per note; the same key again is the same note")


def _distinct_queues(queues: list[str]) -> list[str]:
    return sorted(set(queues))


class SavedReplyCreate(_Body):
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, pattern=r"\S", description="how agents find it (not blank)")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, pattern=r"\S",
                      description="the reply; `{{customer_name}}` is filled in with the customer's name where it is used")
    queues: Annotated[list[Queue], AfterValidator(_distinct_queues)] = Field(
        default_factory=list, max_length=3, description="the queues whose agents see it; empty: every queue")
    language: Literal["en", "ja"] | None = Field(None, description="the customers' language it is written for; "
                                                  "absent: any")


def _automatic_text(code: str, example: str = "") -> Any:
    return Field("", max_length=automatic_messages.MAX_TEXT_CHARS, description=(
        f"what is sent (required when enabled){example}; `{{{{customer_name}}}}` is filled in with the customer's "
        "name. Every text must fit a direct message on every platform with a 50-character name (Instagram takes 1,000 "
        f"UTF-8 bytes): 422 `{code}`"))


class _AutomaticMessageUpdate(_Body):
    """An automatic message's settings (the away message, the satisfaction survey), saved at the revision read."""

    # a text to send whenever it is on: stated in the schema too, so that a client's validator knows
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"properties": {"enabled": {"const": False}}},
        {"properties": {"text": {"type": "string", "pattern": r"\S"}}, "required": ["text"]}]})
    what: ClassVar[str]

    translations: dict[Literal["en", "ja"], Annotated[str, Field(min_length=1, max_length=automatic_messages.MAX_TEXT_CHARS,
                                                                 pattern=r"\S")]] = Field(
        default_factory=dict, description="the text for customers writing in that language (by the triage's "
                                          "language); the others get `text`")
    rev: whole_number(0, 2**53) = Field(description="the `rev` read (0: never saved): if it changed meanwhile, "
                                        "409 `concurrent_change`")

    @model_validator(mode="after")
    def _a_text_when_on(self):
        if self.enabled and not re.search(r"\S", self.text):
            raise ValueError(f"{self.what} that is on needs a text")
        return self


class AwayMessageUpdate(_AutomaticMessageUpdate):
    what: ClassVar[str] = "an away message"
    enabled: bool = Field(strict=True, description="send it to a direct message that comes outside business hours "
                          "(needs business hours: 422 `business_hours_not_set`)")
    text: str = _automatic_text("away_text_too_long")


class SurveyUpdate(_AutomaticMessageUpdate):
    what: ClassVar[str] = "a satisfaction survey"
    enabled: bool = Field(strict=True, description="ask the customer for a rating from 1 to 5 when a person resolves "
                          "a direct-message conversation the brand answered (once per conversation)")
    text: str = _automatic_text("survey_text_too_long", ", e.g. `How did we do? Reply with a number from 1 (poor) to "
                                "5 (great).`")
    follow_up: str = Field("", max_length=automatic_messages.MAX_TEXT_CHARS, description=(
        "asked right after a rating of 1, 2 or 3 (below satisfied), e.g. `Sorry we let you down. What could we have "
        "done better?`; the customer's next message is the rating's comment, and reopens the conversation. Empty: "
        "none is asked. `{{customer_name}}` is filled in; it must fit a direct message on every platform as the text "
        "must (422 `survey_text_too_long`, its message starting `the follow-up`)"))
    follow_up_translations: dict[Literal["en", "ja"], Annotated[str, Field(
        min_length=1, max_length=automatic_messages.MAX_TEXT_CHARS, pattern=r"\S")]] = Field(
        default_factory=dict, description="the follow-up question for customers writing in that language")


class BusinessHoursUpdate(_Body):
    hours: str | None = Field(max_length=500, pattern=r"^[a-z0-9,;: \-]*[a-z0-9][a-z0-9,;: \-]*$", description=(
        "rules separated by `;`, each `<days> HH:MM-HH:MM` (days `mon`..`sun`, `mon-fri`, `sat,sun`; `00:00-24:00` a "
        "whole day; a night shift is two rules), e.g. `mon-fri 09:00-18:00; sat 10:00-14:00`; null: no business "
        "hours (every hour counts, and the away message is never sent). A range must close after it opens: 400 "
        "`invalid_business_hours`"))
    timezone: str = Field(min_length=1, max_length=64, description="an IANA time zone the schedule is in, e.g. "
                          "`Asia/Tokyo`; one the server does not know: 400 `invalid_business_hours`")
    holidays: list[date] = Field(default_factory=list, max_length=366, description="local days closed all day")
    rev: whole_number(0, 2**53) = Field(description="the `rev` read (0: never saved here): if it changed meanwhile, "
                                        "409 `concurrent_change`")


_NON_EMPTY = {"type": "array", "minItems": 1}
PlatformName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
RuleWord = Annotated[str, Field(min_length=1, max_length=routing_rules.MAX_WORD_CHARS, pattern=r"\S")]


class RoutingRuleIn(_Body):
    # at least one condition (a rule matching everything would route every message) and one action, in the schema too
    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"anyOf": [{"properties": {name: _NON_EMPTY}, "required": [name]}
                   for name in ("words", "platforms", "channels", "languages")]},
        {"anyOf": [{"properties": {"queue": {"type": "string"}}, "required": ["queue"]},
                   {"properties": {"tags": _NON_EMPTY}, "required": ["tags"]},
                   {"properties": {"priority_boost": {"type": "integer", "minimum": 1}},
                    "required": ["priority_boost"]},
                   {"properties": {"reply": {"type": "string"}}, "required": ["reply"]}]}]})
    id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")] | None = Field(
        None, description="the rule's id as read; absent: a new rule (an id is given to it)")
    name: str = Field(min_length=1, max_length=routing_rules.MAX_NAME_CHARS, pattern=r"\S",
                      description="what people see: in the message's priority reasons (`rule:<name>`) and history")
    enabled: bool = Field(True, strict=True)
    words: list[RuleWord] = Field(default_factory=list, max_length=routing_rules.MAX_WORDS,
                                  description="any one of them in the text (case and width ignored; a Latin word as a "
                                              "whole word, Japanese anywhere); empty: any text")
    platforms: list[PlatformName] = Field(default_factory=list, max_length=20, description="empty: any platform")
    channels: list[Literal["comment", "reply", "mention", "direct_message", "post"]] = Field(
        default_factory=list, max_length=5, description="empty: any channel")
    languages: list[Literal["en", "ja", "other"]] = Field(default_factory=list, max_length=3,
                                                          description="the triage's language; empty: any")
    queue: Queue | None = Field(None, description="route the message there (the first matching rule with a queue "
                                "decides); absent: the model's choice stands")
    tags: list[Tag] = Field(default_factory=list, max_length=routing_rules.MAX_RULE_TAGS,
                            description="added to the conversation the message opens")
    priority_boost: whole_number(0, routing_rules.MAX_BOOST) = Field(
        0, description="added to the message's priority (the largest of the matching rules')")
    reply: str | None = Field(None, min_length=1, max_length=routing_rules.MAX_REPLY_CHARS, pattern=r"\S",
                              description="sent at once to a customer's direct message the rule matches (the first "
                              "matching rule with a reply; once per conversation; never under a public post); "
                              "`{{customer_name}}` is filled in. It must fit a direct message on every platform with a "
                              "50-character name (Instagram takes 1,000 UTF-8 bytes): 422 `rule_reply_too_long`")

    @model_validator(mode="after")
    def _a_condition_and_an_action(self):
        if not (self.words or self.platforms or self.channels or self.languages):
            raise ValueError("a rule needs a condition (words, platforms, channels or languages): a rule without one "
                             "would route every message")
        if not (self.queue or self.tags or self.priority_boost or self.reply):
            raise ValueError("a rule that does nothing: give it a queue, tags, a priority boost or a reply")
        return self


class RoutingRulesUpdate(_Body):
    rules: list[RoutingRuleIn] = Field(max_length=routing_rules.MAX_RULES,
                                       description="every rule, in the order they are tried")
    rev: whole_number(0, 2**53) = Field(description="the `rev` read (0: never saved): if it changed meanwhile, "
                                        "409 `concurrent_change`")


class WhatsAppTemplateIn(_Body):
    name: str = Field(min_length=1, max_length=512, pattern=whatsapp_templates.NAME.pattern,
                      description="as in WhatsApp Manager: lower-case letters, digits and underscores")
    language: str = Field(pattern=whatsapp_templates.LANGUAGE.pattern,
                          description="the approved translation's code, e.g. `en_US`, `ja`")
    body: str = Field(min_length=1, max_length=whatsapp_templates.MAX_BODY_CHARS, pattern=r"\S", description=(
        "the body text as Meta approved it, its parameters `{{1}}`..`{{n}}` (none skipped), e.g. `Hi {{1}}, your order "
        "{{2}} has shipped.`"))


class WhatsAppTemplatesUpdate(_Body):
    templates: list[WhatsAppTemplateIn] = Field(max_length=whatsapp_templates.MAX_TEMPLATES, description=(
        "every template (a name and language once each, its placeholders `{{1}}`..`{{n}}` without a gap); a broken "
        "list is 400 `invalid_templates`, saying which"))
    rev: whole_number(0, 2**53) = Field(description="the `rev` read (0: never saved): if it changed meanwhile, "
                                        "409 `concurrent_change`")


class TemplateReplyCreate(_Body):
    name: str = Field(min_length=1, max_length=512, description="a saved template's name (GET /whatsapp-templates)")
    language: str = Field(min_length=2, max_length=6, description="and its language")
    parameters: list[Annotated[str, Field(max_length=whatsapp_templates.MAX_PARAMETER_CHARS)]] = Field(
        default_factory=list, max_length=100, description=(
            "the values of `{{1}}`..`{{n}}`, in order: as many as the template takes, none blank, no new line, tab or "
            "more than four spaces in a row (400 `invalid_template_parameters`)"))
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                 description="chosen by the client per send; a retry with the same key never sends twice")


class SavedReplyUpdate(SavedReplyCreate):
    rev: whole_number(1, 2**53) = Field(description="the `rev` read: if it changed meanwhile, 409 `concurrent_change`")


class _KeyCreate(_Body):
    name: str = Field(min_length=1, max_length=100, pattern=r"\S", description="who holds the key (not blank)")
    expires_in_days: whole_number(1, MAX_KEY_LIFETIME_DAYS) | None = Field(
        None, description="the key stops working after this many days; default: never")


class AgentKeyCreate(_KeyCreate):
    role: Literal["agent"]
    queues: list[Queue] = Field(min_length=1, max_length=3, description="the queues the agent works")


class StaffKeyCreate(_KeyCreate):
    role: Literal["manager", "admin"]
    queues: list[Queue] = Field(default_factory=list, max_length=3,
                                description="ignored: managers and admins see every queue")


class KeyCreate(RootModel[Annotated[Union[AgentKeyCreate, StaffKeyCreate], Field(discriminator="role")]]):
    """An API key to issue: an agent key names its queues."""

    model_config = ConfigDict(defer_build=True)


# query strings -------------------------------------------------------------------------------------

class _Query(_Model):
    model_config = ConfigDict(extra="ignore")  # API Gateway passes any parameter; unknown ones change nothing


class FilterQuery(_Query):
    """Narrow a listing to conversations with these facts (omitted: any); the language is their first message's."""

    platform: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="e.g. `whatsapp`, `x`")
    language: Literal["en", "ja", "other"] | None = None
    needs_review: bool | None = Field(None, description="true: only those with a message the model was unsure of; false: the others")
    answered: bool | None = Field(None, description="false: no reply from the brand yet; true: the brand has replied")
    author: str | None = Field(None, min_length=1, max_length=512, description="the platform's id of the customer who "
                               "opened it (a message's `author.id`): everything one account sent, e.g. a spam wave")

    q: str | None = Field(None, max_length=100, description="words in the first or the latest customer message (as "
                          "typed, in lower case, capitalised or upper case); blank: no search")

    tag: TagQuery | None = Field(None, description="conversations with this tag (`VIP`, `vip` and `ｖｉｐ` are one tag)")
    max_rating: int | None = Field(None, ge=1, le=5, description="conversations the customer rated at most this "
                                   "in the satisfaction survey (`status=resolved&max_rating=2`: the unhappy ones, to "
                                   "follow up)")

    def only(self) -> ListFilter:
        return ListFilter(self.platform, self.language, self.needs_review, self.answered, self.author,
                          (self.q or "").strip() or None, tags.normalized(self.tag) if self.tag else None,
                          self.max_rating)


class ListQuery(FilterQuery):
    status: Literal["open", "claimed", "snoozed", "resolved", "removed"] = Field(
        "open", description="removed: conversations whose first message was removed or hidden on the platform, or "
                            "hidden or deleted from here (their `moderation` says which)")
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN,
                               description="the next_cursor of the previous page (opaque; any other value is 400). "
                               "With a filter a page may hold fewer than `limit`, even none, and still have a next one")


class CustomerQuery(_Query):
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN, description="the next_cursor of the previous page "
                               "(opaque; any other value is 400)")


class CustomerDataQuery(_Query):
    platform: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the customer's platform, e.g. `facebook`")
    author_id: AuthorId = Field(description="the platform's id of the customer")
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN, description="the next_cursor of the previous page "
                               "(opaque; any other value is 400)")


class BlockQuery(_Query):
    platform: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the author's platform, e.g. `facebook`")
    author_id: AuthorId = Field(description="the platform's id of the author")


class BlocksQuery(_Query):
    cursor: str | None = Field(None, pattern=CURSOR_PATTERN, description="the next_cursor of the previous page "
                               "(opaque; any other value is 400)")


class EarlierQuery(_Query):
    cursor: str = Field(pattern=CURSOR_PATTERN, description="a conversation's earlier_cursor, or this listing's "
                        "next_cursor (opaque; any other value is 400)")


class EarlierRepliesQuery(_Query):
    cursor: str = Field(pattern=CURSOR_PATTERN, description="a conversation's earlier_replies_cursor, or this "
                        "listing's next_cursor (opaque; any other value is 400)")


@functools.lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA zone names this runtime knows (read from disk once, on the first stats request)."""
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def _known_zone(name: str) -> str:
    if name not in time_zones():
        raise ValueError("must be an IANA time zone name such as Asia/Tokyo")
    return name


class _ZoneSchema:
    """The zone enum is built when the document is, not at import."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        return {"type": "string", "enum": sorted(time_zones())}


def _moment(value: str) -> str:
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date or date-time") from None
    return value


class _MomentSchema:
    def __get_pydantic_json_schema__(self, core_schema, handler):
        return {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}


def _ascii_digits(value: Any) -> Any:
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 3):
        raise ValueError("must be a whole number of hours")
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone), _ZoneSchema()]
Moment = Annotated[str, AfterValidator(_moment), _MomentSchema()]
_RANGE = ("served as the intersection of [from, to) with 2000-01-01..2100-01-01 and at most 366 days from "
          "`from`; the answer says the range served (from >= to: an empty range)")


class StatsQuery(_Query):
    from_: Moment | None = Field(None, alias="from", description="start, inclusive: a date (midnight in tz) or "
                                 "date-time (without an offset: in tz); default: to - 7 days. " + _RANGE)
    to: Moment | None = Field(None, description="end, exclusive, as from; default: now")
    granularity: Literal["hour", "day"] = "hour"
    tz: TimeZone = Field("UTC", description="IANA time zone of the buckets and of from/to without an offset")
    platform: str | None = Field(None, max_length=100, description="only messages from this platform, e.g. facebook")
    queue: Queue | None = Field(None, description="only this queue")


class PeopleStatsQuery(_Query):
    from_: Moment | None = Field(None, alias="from", description="start, inclusive, as for /stats; default: to - 7 "
                                 "days; at most 366 days are served. Counts are by the UTC hour they happened: an "
                                 "hour that holds an end of the range (e.g. midnight in a half-hour zone) counts "
                                 "whole")
    to: Moment | None = Field(None, description="end, exclusive, as from; default: now")
    tz: TimeZone = Field("UTC", description="IANA time zone of from/to without an offset")


class SpikesQuery(StatsQuery):
    baseline_hours: Annotated[int, Field(ge=MIN_BASELINE_HOURS, le=MAX_BASELINE_HOURS),
                              BeforeValidator(_ascii_digits)] = Field(
        MAX_BASELINE_HOURS, description="the trailing window each hour is compared with")


# responses -----------------------------------------------------------------------------------------

class ErrorDetail(_Model):
    code: str
    message: str


class ErrorOut(_Model):
    error: ErrorDetail


class HealthOut(_Model):
    status: Literal["ok"] = "ok"


class CrcOut(_Model):
    response_token: str = Field(description="sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>")


IngestOut = create_model(  # one count per store outcome
    "IngestOut", __base__=_Model, received=(int, ...), skipped=(list[Skip], ...),
    **{outcome.value: (int, ...) for outcome in Outcome},
)


class TermOut(_Model):
    term: str
    weight: float


class FirstOpinionOut(_Model):
    category: Queue
    confidence: float
    model_version: str
    needs_review: bool


class RuleRefOut(_Model):
    id: str
    name: str
    model_category: Queue


class TriageOut(_Model):
    category: Queue
    confidence: float
    scores: dict[str, float]
    top_terms: list[TermOut]
    model_version: str
    needs_review: bool
    first_opinion: FirstOpinionOut | None = Field(
        None, description="the webhook model's verdict, once the second-opinion model (seconds later) replaced it")
    rule: RuleRefOut | None = Field(None, description="the managers' routing rule that chose the message's queue (the "
                                    "model's verdict is `category`); absent: the model's choice stood")


class HistoryOut(_Model):
    event: str
    at: str
    actor: str
    details: dict[str, Any] | None = None


class CorrectionOut(_Model):
    model_config = ConfigDict(populate_by_name=True)

    from_queue: str = Field(alias="from")
    to: str
    by: str
    at: str
    reason: str
    model_version: str


class ModerationOut(_Model):
    state: Literal["hidden", "deleted", "blocked"] = Field(
        description="hidden or deleted on the platform, or `blocked`: held back because its author is blocked "
                    "(it came while the block held; nothing was done on the platform)")
    by: str
    at: str
    reason: str | None = None
    previous_status: str | None = Field(None, description="where it was before (where unhide puts it back)")
    held_back: ModerationOut | None = Field(None, description="hidden or deleted while its author was blocked: the "
                                            "block's record (shown again, it is held back again, in no queue)")


class ErasureRecordOut(_Model):
    at: str
    by: str = Field(description="who erased it (as its history names people), `platform` when its author deleted "
                    "it there, or `system:sweep` when it outlived the retention period")
    reason: Literal[privacy.REASONS]  # type: ignore[valid-type]


class ErasureOut(_Model):
    platform: str
    author_id: str
    done: bool = Field(description="false: the request's time ran out first; send it again to go on")
    messages_erased: int = Field(description="by this request: the customer's messages erased")
    conversations_erased: int = Field(description="by this request: the conversations the customer opened, erased "
                                      "with their replies and notes")


class SatisfactionOut(_Model):
    survey_sent_at: str = Field(description="when the satisfaction survey went to the customer")
    score: int | None = Field(None, ge=1, le=5, description="the customer's rating, 1 (poor) to 5 (great); absent "
                              "until they answer")
    rated_at: str | None = None
    message_id: str | None = Field(None, description="the customer's message that gave the rating (a later message "
                                   "of the conversation)")
    follow_up_sent_at: str | None = Field(None, description="when the follow-up question went (after a low rating)")
    comment_message_id: str | None = Field(None, description="the customer's answer to the follow-up question: their "
                                           "message that comments on the rating (it reopened the conversation)")
    commented_at: str | None = None
    comment: str | None = Field(None, description="GET /conversations/{id}: that message's words, while it is among "
                                "the messages listed and not erased")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class SlaBreachOut(_Model):
    waiting_since: str = Field(description="the customer's message they waited on")
    sla_seconds: int = Field(description="the queue's SLA")
    business_hours: bool = Field(description="the wait counted in business hours only")
    at: str = Field(description="when the sweep found it")


class MessageOut(_Model):
    """A message as stored; fields without a value are left out."""

    id: str
    platform: str
    channel: str
    author: dict[str, str]
    text: str
    text_truncated: bool | None = None  # true when the text was cut at 64 KiB (UTF-8)
    language: str
    created_at: str
    received_at: str
    parent_id: str | None = None
    thread_id: str | None = None
    conversation_id: str | None = None
    account: str | None = Field(None, description="the brand account it was sent to (outbound: from)")
    direction: Literal["inbound", "outbound"] = "inbound"
    conversation: str | None = Field(None, description="its conversation (the id of the conversation's first message)")
    message_count: int | None = Field(None, description="a conversation: its messages, both directions")
    last_inbound_at: str | None = Field(None, description="a conversation: the customer's latest message")
    last_inbound_text: str | None = Field(None, description="a conversation: the start (280 characters) of the "
                                          "customer's latest message, once a second one joined")
    first_reply_at: str | None = Field(None, description="a conversation: the brand's first answer")
    last_reply_at: str | None = None
    reopened_at: str | None = None
    tags: list[str] | None = Field(None, description="a conversation: the team's tags, in the order added")
    queue: Queue
    status: Literal["open", "claimed", "snoozed", "resolved", "removed", "in_conversation"] = Field(
        description="a conversation's state; `in_conversation` for its later messages (their state is the conversation's)")
    priority: int
    priority_reasons: list[str]
    needs_review: bool
    triage: TriageOut | None = Field(None, description="absent for the brand's own (outbound) messages")
    claimed_by: str | None = None
    lease_expires_at: str | None = None
    first_claimed_at: str | None = None
    snoozed_until: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution_note: str | None = None
    resolution_reason: str | None = Field(None, description="`auto_resolved` when the sweep closed it")
    moderation: ModerationOut | None = Field(None, description="hidden or deleted on the platform from the inbox "
                                             "(`POST /messages/{id}/moderation`)")
    erased: ErasureRecordOut | None = Field(None, description="its content erased: `text` is empty and `author` has "
                                            "its id only (`POST /erasures`, or deleted by its author on the platform)")
    satisfaction: SatisfactionOut | None = Field(None, description="a conversation: the satisfaction survey sent once "
                                                 "a person resolved it (`GET /satisfaction-survey`), and the rating")
    sla_breach: SlaBreachOut | None = Field(None, description="a conversation: the latest wait past its queue's SLA, "
                                            "found by the sweep (open and held by nobody; `message.sla_breached`). "
                                            "It breaches now while `waiting_since` is still the customer's latest "
                                            "message (`last_inbound_at`) and it is open")
    corrections: list[CorrectionOut] = Field(default_factory=list)
    history: list[HistoryOut] | None = None
    history_dropped: int | None = Field(None, description="older history entries no longer kept with the message")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, message: Any, with_history: bool = False) -> MessageOut:
        """A stored message (store.entities.StoredMessage) as the API shows it."""
        fields = {k: v for k, v in message.public(with_history).items() if k in cls.model_fields}
        if not fields.get("history_dropped"):
            fields.pop("history_dropped", None)
        if not fields.get("triage"):
            fields.pop("triage", None)  # the brand's own messages are not triaged
        return cls.model_validate(fields)


class MessagePage(_Model):
    messages: list[MessageOut]
    next_cursor: str | None


class ReplyPage(_Model):
    replies: list[ReplyOut] = Field(description="oldest first")
    next_cursor: str | None = Field(description="the replies before these: GET again with it; null when none are left")


class ClaimOut(_Model):
    claimed: list[MessageOut]


class ConversationPage(_Model):
    conversations: list[MessageOut] = Field(description="each conversation as its first message, with its state")
    next_cursor: str | None
    left_out: int | None = Field(None, description="GET /me/conversations: conversations the caller holds that are not "
                                 "listed, to keep the answer bounded (the first 100 by priority, about 1 MB of text, "
                                 "are); absent when none")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None or k == "next_cursor"}


class CustomerOut(_Model):
    """Who opened the conversation, as their platform named them on its first message."""

    platform: str
    id: str = Field(description="the platform's id of the author (`author.id`)")
    name: str | None = None
    handle: str | None = None

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, head: Any) -> CustomerOut:
        author = head.author or {}
        return cls(platform=head.platform, id=author.get("id", ""), name=author.get("name"), handle=author.get("handle"))


class CustomerConversationOut(_Model):
    """Another conversation the same customer opened, as it is now."""

    id: str = Field(description="the conversation (its first message's id)")
    channel: str
    queue: Queue
    status: Literal["open", "claimed", "snoozed", "resolved"]
    received_at: str
    last_inbound_at: str | None = Field(None, description="the customer's latest message in it")
    text: str = Field(description="the start (280 characters) of its first message")
    text_cut: bool = Field(description="true when its first message is longer than `text`")
    tags: list[str] = Field(default_factory=list)
    message_count: int | None = Field(None, description="its messages, both directions")
    erased: ErasureRecordOut | None = Field(None, description="its first message's content erased (`text` is empty)")

    @model_serializer(mode="wrap")
    def _erased_only_when_erased(self, handler):
        data = handler(self)
        if data.get("erased") is None:
            data.pop("erased", None)
        return data

    @classmethod
    def of(cls, summary: Any) -> CustomerConversationOut:
        data = {k: v for k, v in vars(summary).items() if v is not None}
        return cls.model_validate(data)


class CustomerDataOut(_Model):
    platform: str
    author_id: str
    messages: list[MessageOut] = Field(description="the messages this customer wrote that are kept (not erased), "
                                       "oldest first, with their triage and conversation")
    next_cursor: str | None = Field(description="the next page; none at the end")


class PlatformBanOut(_Model):
    """The ban the platform made (a Page ban, a WhatsApp block, an X mute, a Telegram group ban)."""

    account: str = Field(description="the brand account the author is banned from (Page id, WhatsApp phone number id, "
                         "X user id, Telegram bot)")
    at: str = Field(description="when the platform did it")
    chat_id: str | None = Field(None, description="Telegram: the group they are banned from")


class BlockOut(_Model):
    """An author whose new messages are held back (stored in Removed, in no queue)."""

    platform: str
    author_id: str
    name: str | None = Field(None, description="as their latest stored message named them")
    handle: str | None = None
    reason: str | None = None
    blocked_by: str = Field(description="who blocked them (as the history names people)")
    blocked_at: str
    expires_at: str | None = Field(None, description="when the block ends by itself (none: until lifted)")
    unblocked_by: str | None = Field(None, description="in the answer of DELETE /blocks: who lifted it")
    unblocked_at: str | None = None
    platform_ban: PlatformBanOut | None = Field(None, description="banned on the platform too (POST /blocks with "
                                                "on_platform): lifting the block lets them back there first")

    @classmethod
    def of(cls, block: Any) -> BlockOut:
        ban = getattr(block, "platform_ban", None)
        return cls(platform=block.platform, author_id=block.author_id, name=block.name, handle=block.handle,
                   reason=block.reason, blocked_by=block.blocked_by, blocked_at=block.blocked_at,
                   expires_at=block.until, unblocked_by=block.unblocked_by, unblocked_at=block.unblocked_at,
                   platform_ban=PlatformBanOut(**ban) if ban else None)


class BlocksOut(_Model):
    blocks: list[BlockOut] = Field(description="the blocks that hold, newest first")
    next_cursor: str | None = Field(description="the next page; a page may hold fewer than 100 and still have one")


class UnblockOut(_Model):
    unblocked: BlockOut


class CustomerConversationsOut(_Model):
    customer: CustomerOut
    blocked: BlockOut | None = Field(None, description="the customer's block, while one holds: their new messages "
                                     "are held back")
    conversations: list[CustomerConversationOut] = Field(
        description="the other conversations this customer opened, newest first, in queues the caller works (those "
        "opened before this listing existed are not known to it)")
    next_cursor: str | None = Field(description="the next page (older ones); a page may hold fewer than 25, even "
                                    "none, and still have a next one")


class TemplateSentOut(_Model):
    name: str
    language: str


class ReplyOut(_Model):
    id: str = Field(description="the idempotency key")
    conversation: str
    text: str
    reply_to: str
    by: str
    platform: str
    account: str | None = None
    created_at: str
    status: Literal["sending", "sent", "delivered", "read", "failed", "unknown"] = Field(
        description="`unknown`: the platform did not answer in time and the reply may have gone out (never resent)")
    attempts: int
    platform_message_id: str | None = None
    sent_at: str | None = None
    delivered_at: str | None = None
    read_at: str | None = None
    error_kind: str | None = None
    error: str | None = None
    messaging_type: str | None = None
    private: bool | None = Field(None, description="true: sent as a direct message to the comment's author (a private "
                                 "reply); absent for a public reply")
    automatic: bool | None = Field(None, description="true: an automatic message, not the brand's answer (the "
                                   "conversation stays unanswered): the away message, sent by `system:away` outside "
                                   "business hours, or the satisfaction survey, by `system:survey` once resolved")
    erased: ErasureRecordOut | None = Field(None, description="its text erased with its customer's data")
    template: TemplateSentOut | None = Field(None, description="a WhatsApp template (`POST /conversations/{id}/"
                                             "template-replies`); `text` is what it reads, its parameters filled in")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, reply: Any) -> ReplyOut:
        data = reply if isinstance(reply, dict) else vars(reply)
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


class TextLimitOut(_Model):
    limit: int
    unit: Literal["characters", "bytes", "weighted", "utf16"] = Field(
        description="how the platform measures: characters; UTF-8 bytes (Instagram DMs); X's weighted count (a CJK "
                    "character or an emoji 2, a link 23); UTF-16 units (Telegram)")


class ReplyWindowOut(_Model):
    open: bool
    reason: str | None = None
    closes_at: str | None = Field(None, description="when it closes (none: this channel has no window)")
    messaging_type: str | None = None
    tag: str | None = None
    text_limit: TextLimitOut | None = Field(None, description="the longest reply the platform takes here; a longer "
                                            "one is 422 `text_too_long`")
    private_text_limit: TextLimitOut | None = Field(None, description="the same for a private reply (a Facebook or "
                                                    "Instagram comment)")


class NoteOut(_Model):
    id: str = Field(description="the idempotency key")
    text: str
    by: str
    created_at: str
    erased: ErasureRecordOut | None = Field(None, description="its text erased with its customer's data")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}

    @classmethod
    def of(cls, note: Any) -> NoteOut:
        fields = note if isinstance(note, dict) else note.__dict__
        return cls.model_validate({name: fields[name] for name in cls.model_fields if name in fields})


class TagsOut(_Model):
    conversation: str
    tags: list[str] = Field(description="all its tags now, in the order added")


class ConversationOut(MessageOut):
    """A conversation: its state (on its first message), its first message and latest messages in order, the
    replies sent from here."""

    messages: list[MessageOut] = Field(description="the first message, then the latest ones (at most 100), in order")
    earlier_cursor: str | None = Field(None, description="messages between the first and the latest are left out: "
                                       "GET /conversations/{id}/messages?cursor= reads them; absent when all are here")
    replies: list[ReplyOut]
    reply_window: ReplyWindowOut | None = Field(None, description="for the latest customer message")
    notes: list[NoteOut] = Field(default_factory=list, description="the team's internal notes, oldest first")
    earlier_replies: int | None = Field(None, description="replies older than those listed, left out to keep the "
                                        "answer bounded (the latest 50, about 300 KB of text); absent when none")
    earlier_replies_cursor: str | None = Field(None, description="GET /conversations/{id}/replies?cursor= reads the "
                                               "replies before those listed; absent when all are here")

    @classmethod
    def of_conversation(cls, head: Any, thread: list[Any], earlier: str | None, replies: list[Any],
                        window: Any, notes: list[Any] = (), earlier_replies: int = 0,
                        earlier_replies_cursor: str | None = None, text_limit: Any = None,
                        private_text_limit: Any = None) -> ConversationOut:
        fields = MessageOut.of(head, with_history=True).model_dump(by_alias=True)
        window_out = None
        if window is not None:
            closes = window.closes_at.strftime("%Y-%m-%dT%H:%M:%SZ") if window.closes_at else None
            limits = {name: TextLimitOut(limit=limit.limit, unit=limit.unit)
                      for name, limit in (("text_limit", text_limit), ("private_text_limit", private_text_limit))
                      if limit is not None}
            window_out = ReplyWindowOut(open=window.open, reason=window.reason, closes_at=closes,
                                        messaging_type=window.messaging_type, tag=window.tag, **limits)
        satisfaction = fields.get("satisfaction") or {}
        commented = next((m for m in thread if m.id == satisfaction.get("comment_message_id") and not m.erased), None)
        if commented is not None:
            fields["satisfaction"] = {**satisfaction, "comment": commented.text}
        return cls.model_validate({**fields, "messages": [MessageOut.of(m, with_history=True) for m in thread],
                                   "earlier_cursor": earlier, "replies": [ReplyOut.of(r) for r in replies],
                                   "reply_window": window_out, "notes": [NoteOut.of(n) for n in notes],
                                   "earlier_replies": earlier_replies or None,
                                   "earlier_replies_cursor": earlier_replies_cursor})


class QueueSummary(_Model):
    queue: Queue
    open: int
    claimed: int
    snoozed: int
    needs_review: int
    oldest_open_age_seconds: float | None


class QueuesOut(_Model):
    queues: list[QueueSummary]


class KeyOut(_Model):
    key_id: str
    name: str
    role: Literal["agent", "manager", "admin"]
    queues: list[Queue]
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None


class TeamMemberOut(_Model):
    key_id: str
    name: str
    role: Literal["agent", "manager", "admin"]
    queues: list[Queue] = Field(description="an agent's queues (managers and admins work every queue)")
    actor: str = Field(description="how conversations and history name them (`claimed_by`, `actor`)")

    @classmethod
    def of(cls, person: Any) -> TeamMemberOut:
        return cls(key_id=person.key_id, name=person.name, role=person.role, queues=list(person.queues),
                   actor=person.actor)


class TeamOut(_Model):
    members: list[TeamMemberOut] = Field(description="everyone with a live key, by name (about 1 MB of them at most)")


class IssuedKeyOut(KeyOut):
    key: str = Field(description="the secret key; shown only once")


class SavedReplyOut(_Model):
    id: str
    title: str
    text: str
    queues: list[Queue] = Field(description="empty: every queue")
    language: Literal["en", "ja"] | None = None
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    rev: int

    @classmethod
    def of(cls, saved: Any) -> SavedReplyOut:
        return cls.model_validate(saved.public())


class RoutingRuleOut(_Model):
    id: str
    name: str
    enabled: bool
    words: list[str]
    platforms: list[str]
    channels: list[str]
    languages: list[str]
    queue: Queue | None
    tags: list[str]
    priority_boost: int
    reply: str | None = Field(None, description="its automatic reply to direct messages; null: none")


class _SavedListOut(_Model):
    """A list managers replace whole at the revision they read (the routing rules, the WhatsApp templates)."""

    updated_by: str | None
    updated_at: str | None
    rev: int = Field(description="send it back to change them; 0: never saved")


class RoutingRulesOut(_SavedListOut):
    rules: list[RoutingRuleOut] = Field(description="in the order they are tried")

    @classmethod
    def of(cls, saved: Any) -> RoutingRulesOut:
        return cls(rules=[RoutingRuleOut(**r.public()) for r in saved.rules], updated_by=saved.updated_by,
                   updated_at=saved.updated_at, rev=saved.rev)


class WhatsAppTemplateOut(_Model):
    name: str
    language: str
    body: str
    parameters: int = Field(description="how many parameters it takes (`{{1}}`..`{{n}}`)")


class WhatsAppTemplatesOut(_SavedListOut):
    templates: list[WhatsAppTemplateOut] = Field(description="as saved, in the order saved")

    @classmethod
    def of(cls, saved: Any) -> WhatsAppTemplatesOut:
        return cls(templates=[WhatsAppTemplateOut(name=t.name, language=t.language, body=t.body,
                                                  parameters=t.parameters) for t in saved.templates],
                   updated_by=saved.updated_by, updated_at=saved.updated_at, rev=saved.rev)


class BusinessHoursOut(_Model):
    hours: str | None = Field(description="the rules (null: no business hours: every hour counts)")
    timezone: str
    holidays: list[str]
    text: str | None = Field(description="the schedule as people read it, e.g. `mon-fri 09:00-18:00 (Asia/Tokyo)`")
    open_now: bool | None = Field(description="whether the brand is open now; null without business hours")
    source: Literal["saved", "operator", "none"] = Field(description="`saved`: set here; `operator`: nothing saved "
                                                          "here, the operator's SLA_BUSINESS_HOURS apply; `none`: neither")
    updated_by: str | None
    updated_at: str | None
    rev: int = Field(description="send it back to change them; 0: never saved here")


class AwayMessageOut(_Model):
    enabled: bool
    text: str
    translations: dict[str, str] = Field(description="per customer language (`en`, `ja`); the others get `text`")
    business_hours: str | None = Field(description="the schedule it follows (`GET /business-hours`); null: none "
                                       "set, so never closed")
    open_now: bool | None = Field(description="whether the brand is open now; null without business hours")
    updated_by: str | None
    updated_at: str | None
    rev: int = Field(description="send it back to change it; 0: never saved")

    @classmethod
    def of(cls, saved: Any, schedule: Any, now: datetime) -> AwayMessageOut:
        return cls(enabled=saved.enabled, text=saved.text, translations=saved.translations,
                   business_hours=schedule.text if schedule else None,
                   open_now=schedule.is_open(now) if schedule else None, updated_by=saved.updated_by,
                   updated_at=saved.updated_at, rev=saved.rev)


class SurveyOut(_Model):
    enabled: bool
    text: str
    translations: dict[str, str] = Field(description="per customer language (`en`, `ja`); the others get `text`")
    follow_up: str = Field(description="asked after a rating of 1 to 3; empty: none is asked")
    follow_up_translations: dict[str, str] = Field(description="the follow-up per customer language")
    updated_by: str | None
    updated_at: str | None
    rev: int = Field(description="send it back to change it; 0: never saved")

    @classmethod
    def of(cls, saved: Any) -> SurveyOut:
        return cls(enabled=saved.enabled, text=saved.text, translations=saved.translations,
                   follow_up=saved.follow_up, follow_up_translations=saved.follow_up_translations,
                   updated_by=saved.updated_by, updated_at=saved.updated_at, rev=saved.rev)


class SavedRepliesOut(_Model):
    saved_replies: list[SavedReplyOut] = Field(description="those the caller may use, by title")


class KeysOut(_Model):
    keys: list[KeyOut] = Field(description="live keys, newest first, then the latest revoked or expired ones")
    left_out: int | None = Field(None, description="keys not listed, to keep the answer bounded (about 1 MB): the "
                                 "oldest revoked or expired ones go first; absent when none")

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class ResponseTimesOut(_Model):
    resolved: int
    auto_resolved: int = Field(description="open messages resolved by the sweep after their queue's window")
    snoozed: int = Field(description="times agents snoozed a message")
    first_replied: int = Field(description="conversations opened in the bucket that got their first reply")
    first_replies_late: int = Field(description="of those, first replies after the queue's SLA")
    away_sent: int = Field(0, description="away messages sent in the bucket (outside business hours; not replies)")
    rule_replies_sent: int = Field(0, description="routing rules' automatic replies sent in the bucket (not replies)")
    sla_breaches: int = Field(0, description="conversations found waiting past the SLA with nobody on them in the "
                              "bucket (by the hour the sweep found them: `message.sla_breached`)")
    surveys_sent: int = Field(0, description="satisfaction surveys sent in the bucket")
    ratings: int = Field(0, description="customers' ratings that came in the bucket")
    rating_average: float | None = Field(None, description="their average, 1 to 5; null without ratings")
    time_to_first_claim_p50_seconds: float | None
    time_to_first_claim_p90_seconds: float | None
    time_to_first_reply_p50_seconds: float | None = Field(
        description="from the conversation's first message to the brand's first reply (inbox or platform)")
    time_to_first_reply_p90_seconds: float | None
    time_to_resolve_p50_seconds: float | None
    time_to_resolve_p90_seconds: float | None


class BucketOut(_Model):
    start: str
    messages: dict[str, int]
    total: int
    platforms: dict[str, int]
    needs_review: dict[str, int]
    response_times: dict[str, ResponseTimesOut]


class SlaOut(_Model):
    queue: Queue
    sla_seconds: int
    open_past_sla: int = Field(description="open conversations whose customer has waited past the SLA since their latest message")
    first_replied: int = Field(description="conversations opened in the range that got a first reply")
    first_replies_late: int = Field(description="of those, first replies that came after the SLA")
    away_sent: int = Field(0, description="away messages sent in the range: customers told the brand was closed, "
                           "still waiting for a person's first reply")
    rule_replies_sent: int = Field(0, description="routing rules' automatic replies sent in the range: customers "
                                   "answered at once by a rule, still waiting for a person's first reply")
    sla_breaches: int = Field(0, description="times in the range a conversation waited past the SLA with nobody on "
                              "it (once per wait; `message.sla_breached`)")
    surveys_sent: int = Field(0, description="satisfaction surveys sent in the range")
    ratings: int = Field(0, description="customers' ratings that came in the range (1 to 5)")
    rating_average: float | None = Field(None, description="their average; null without ratings")
    satisfied_share: float | None = Field(None, description="the share of ratings of 4 or 5 (CSAT); null without "
                                          "ratings")
    ratings_by_score: dict[Literal["1", "2", "3", "4", "5"], int] = Field(
        default_factory=dict, description="how many of each score")
    business_hours: str | None = Field(None, description="the SLA counts only these hours (`GET /business-hours`), "
                                       "e.g. `mon-fri 09:00-18:00 (Asia/Tokyo)`; null: every hour counts")


class VersionAccuracyOut(_Model):
    model_version: str
    queue: Queue
    classified: int
    rerouted: int
    needs_review: int
    rerouted_share: float | None
    needs_review_share: float | None


class AccuracyOut(_Model):
    by_version: list[VersionAccuracyOut]
    reroutes: dict[str, dict[str, int]]


class StatsOut(_Model):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="the start of the range served, in tz")
    to: str = Field(description="the end of the range served, in tz")
    granularity: Literal["hour", "day"]
    tz: str
    platform: str | None
    buckets: list[BucketOut]
    sla: list[SlaOut]
    model_accuracy: AccuracyOut


class SpikeOut(_Model):
    queue: Queue
    start: str
    observed: int
    expected: float
    p_value: float


class PersonStatsOut(_Model):
    key_id: str
    name: str
    role: Literal["agent", "manager", "admin"]
    revoked: bool = Field(description="the key was revoked since (the work stays theirs)")
    resolved: int = Field(description="conversations they resolved (by the hour they did)")
    replies: int = Field(description="replies they sent from the inbox that the platform took")
    ratings: int = Field(0, description="customers' ratings of the conversations they resolved (by the hour rated)")
    rating_average: float | None = Field(None, description="their average, 1 to 5; null without ratings")
    satisfied_share: float | None = Field(None, description="the share of those ratings that were 4 or 5")
    time_to_resolve_p50_seconds: float | None = Field(description="from the customer's first message to their resolve")
    time_to_resolve_p90_seconds: float | None


class PeopleStatsOut(_Model):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="the start of the range served, in tz")
    to: str = Field(description="the end of the range served, in tz (at most 366 days after the start)")
    tz: str
    people: list[PersonStatsOut] = Field(description="everyone who resolved or replied in the range, most resolved first")


class SpikesOut(_Model):
    method: str
    spikes: list[SpikeOut]


class SendErrorOut(_Model):
    kind: str = Field(description="token_invalid, permission_denied, token_missing, rate_limited, "
                                  "recipient_unreachable, rejected, unavailable or timeout")
    message: str | None = Field(None, description="the platform's error, shortened")


class ChannelOut(_Model):
    """A brand channel (platform, account) and what the API saw of it; times are ISO 8601 UTC."""

    platform: str
    account: str = Field(description="Facebook Page id, Instagram account id, WhatsApp phone number id, X user id, "
                                     "Telegram bot")
    last_webhook_at: str | None = Field(description="the last verified webhook naming it (moves at most once a minute)")
    last_send_at: str | None
    last_send_ok: bool | None
    last_send_error: SendErrorOut | None = Field(description="set while the last send failed")
    token_error: str | None = Field(description="the kind of the token or permission failure no successful "
                                                "send has followed")
    token_error_since: str | None
    sends_ok: int
    sends_failed: int
    flags: list[Literal["never_received", "silent", "token_error"]]
    healthy: bool = Field(description="no flags")

    @classmethod
    def of(cls, health: Any) -> ChannelOut:
        """A domain.channels.ChannelHealth as the API shows it."""
        recorded = health.record.public() if health.record is not None else {}
        return cls.model_validate({
            "last_webhook_at": None, "last_send_at": None, "last_send_ok": None, "last_send_error": None,
            "token_error": None, "token_error_since": None, "sends_ok": 0, "sends_failed": 0, **recorded,
            "platform": health.platform, "account": health.account, "flags": list(health.flags),
            "healthy": health.healthy})


class ChannelsOut(_Model):
    channels: list[ChannelOut]
