"""What the domain and the store refuse, by reason. Routes map each to an HTTP status (app.py)."""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation: `code` is stable (clients branch on it), the message is for people."""

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class UnknownMessage(DomainError):
    code = "unknown_message"


class WrongStatus(DomainError):
    """The message is not in a state this operation applies to."""

    code = "wrong_status"


class SameQueue(DomainError):
    code = "same_queue"


class ConcurrentChange(DomainError):
    """Someone changed the message between the read and the write."""

    code = "concurrent_change"


class NotClaimHolder(DomainError):
    code = "not_claim_holder"


class InvalidAssignee(DomainError):
    """A conversation assigned to nobody who may hold it: no live key by that id, or one outside its queue."""

    code = "invalid_assignee"


class InvalidRequest(DomainError):
    """Input the domain cannot act on (a foreign cursor, an unknown queue, a snooze in the past)."""

    code = "invalid_request"


# replies --------------------------------------------------------------------------------------------------

class IdempotencyKeyReused(DomainError):
    """The key names another reply (another text or target): a new reply needs a new key."""

    code = "idempotency_key_reused"


class ReplyNotSent(DomainError):
    """The platform did not take the reply. `code` says why (the reply is stored with it):
    channel_token_invalid / channel_permission_denied / channel_token_missing (fix the channel, 424),
    recipient_unreachable (422), platform_rejected (422), platform_rate_limited (429, `retry_after`),
    platform_unavailable (502: may be sent again under the same key), reply_outcome_unknown (502: it may have
    gone out; it is never sent again under that key)."""

    code = "reply_not_sent"

    def __init__(self, message: str, *, code: str, retry_after: int | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class OutsideReplyWindow(DomainError):
    """The platform no longer accepts a reply in this conversation (chalicelib/domain/reply_windows.py):
    nothing is sent. The message names the window and when it closed."""

    code = "outside_reply_window"


class TextTooLong(DomainError):
    """The reply is longer than its platform takes (domain/reply_limits.py), measured as the platform measures it:
    nothing is stored or sent."""

    code = "text_too_long"

    def __init__(self, message: str, *, limit: int, length: int, unit: str):
        super().__init__(message)
        self.limit, self.length, self.unit = limit, length, unit


class PrivateReplyUnsupported(DomainError):
    """A private reply (a DM to a comment's author) asked for a message that is not a Facebook or Instagram
    comment: nothing is sent."""

    code = "private_reply_unsupported"


class PrivateReplyAlreadySent(DomainError):
    """Meta allows one private reply per comment; this comment has one (sent, sending or being retried)."""

    code = "private_reply_already_sent"


class PublicBulkReply(DomainError):
    """A bulk reply (one text to many) to a public post or comment: the same words under many public posts read as
    spam (X's automation rules forbid them; Meta's filters hide them), so a bulk reply goes to direct messages only."""

    code = "public_conversation"


class UnknownTemplate(DomainError):
    """A WhatsApp template no manager saved (GET /whatsapp-templates): nothing is sent."""

    code = "unknown_template"


class TemplateUnsupported(DomainError):
    """A template for a conversation that is not on WhatsApp."""

    code = "template_unsupported"


class InvalidTemplateParameters(InvalidRequest):
    """A template's parameters that do not fit it (their number, a blank one, what WhatsApp refuses in one)."""

    code = "invalid_template_parameters"


class NoSender(OutsideReplyWindow):
    """A platform this API cannot send on (generic sources): like a closed window, nothing is sent."""

    code = "no_sender"


# moderation ---------------------------------------------------------------------------------------------

class ModerationUnsupported(DomainError):
    """The platform offers no such action for this message (domain/moderation.py): nothing is called."""

    code = "moderation_unsupported"


class NotAllowed(DomainError):
    """The caller's role may not do this (a delete on the platform by an agent)."""

    code = "not_allowed"


class ModerationNotDone(ReplyNotSent):
    """The platform did not hide, show or delete the message (nothing is recorded). The codes and their statuses
    are a reply's (channel_token_invalid... 424, platform_rejected 422, platform_rate_limited 429,
    platform_unavailable 502); every one may be tried again safely."""

    code = "moderation_not_done"


# saved replies ------------------------------------------------------------------------------------------

class UnknownSavedReply(DomainError):
    code = "unknown_saved_reply"


class SavedRepliesFull(DomainError):
    """The brand keeps at most domain.saved_replies.MAX_SAVED_REPLIES: delete one before adding another."""

    code = "saved_replies_full"


class NotesFull(DomainError):
    """A conversation keeps at most domain.notes.MAX_NOTES internal notes."""

    code = "notes_full"


class TooManyTags(DomainError):
    """A conversation keeps at most domain.tags.MAX_TAGS tags."""

    code = "too_many_tags"


# blocks ---------------------------------------------------------------------------------------------------

class UnknownBlock(DomainError):
    """No block holds for that author (never blocked, lifted, or ended)."""

    code = "unknown_block"


class UnknownAuthor(DomainError):
    """No stored message of this author: nothing says which brand account to ban them from (nothing is called)."""

    code = "unknown_author"


class BanUnsupported(DomainError):
    """The platform offers no ban through its API, or this one could not be made as asked (domain/bans.py):
    nothing is called, nothing is stored."""

    code = "platform_ban_unsupported"


class BanNotDone(ReplyNotSent):
    """The platform did not ban (or let back) the author: nothing is stored. The codes and their statuses are a
    reply's (channel_token_invalid... 424, platform_rejected and recipient_unreachable 422, platform_rate_limited
    429, platform_unavailable 502); every one may be tried again safely."""

    code = "platform_ban_not_done"


# the away message --------------------------------------------------------------------------------------

class BusinessHoursNotSet(DomainError):
    """The away message is sent outside business hours: without a schedule there are none."""

    code = "business_hours_not_set"


class AwayTextTooLong(DomainError):
    """A text longer than some platform takes in a direct message."""

    code = "away_text_too_long"


# the satisfaction survey --------------------------------------------------------------------------------

class SurveyTextTooLong(DomainError):
    """A survey text longer than some platform takes in a direct message."""

    code = "survey_text_too_long"


class RuleReplyTooLong(DomainError):
    """A routing rule's reply longer than some platform takes in a direct message."""

    code = "rule_reply_too_long"
