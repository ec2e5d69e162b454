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


class InvalidRequest(DomainError):
    """Input the domain cannot act on (a foreign cursor, an unknown queue, a snooze in the past)."""

    code = "invalid_request"


class OutsideReplyWindow(DomainError):
    """The platform no longer accepts a reply in this conversation (chalicelib/domain/reply_windows.py):
    nothing is sent. The message names the window and when it closed."""

    code = "outside_reply_window"


class NoSender(OutsideReplyWindow):
    """A platform this API cannot send on (generic sources): like a closed window, nothing is sent."""

    code = "no_sender"
