"""Moderation from the inbox: which customer messages can be hidden, shown again or deleted on their platform, by
whom, and from which state.

| platform | channel | actions | the platform's request (chalicelib/platforms/send/) |
|---|---|---|---|
| facebook | comment, reply | hide, unhide, delete | Graph `POST /{comment-id} {"is_hidden"}`, `DELETE /{comment-id}` |
| instagram | comment, reply | hide, unhide, delete | Graph `POST /{ig-comment-id} {"hide"}`, `DELETE /{ig-comment-id}` |
| x | reply | hide, unhide | `PUT /2/tweets/{id}/hidden {"hidden"}` (replies to the brand's own posts) |
| telegram | comment, reply (groups) | delete | Bot API `deleteMessage` (the bot is an admin allowed to delete) |

A hidden comment stays visible to its author and their friends (the spammer is not told), so hiding is the
everyday tool and anyone who works the conversation's queue may use it; deleting cannot be undone, so it is for
managers and admins. A moderated message leaves the queues as a removal on the platform does (status `removed`);
showing it again puts it back where it was (a conversation open in its queue, a later message in its thread), except
a conversation whose thread moved on while it was hidden (a new message opened another conversation for it): that one
comes back resolved, so the thread is in the queue once.
"""

from __future__ import annotations

from .conversations import IN_CONVERSATION
from .errors import ModerationUnsupported, NotAllowed, WrongStatus
from .workflow import OPEN, RESOLVED, Actor

HIDE, UNHIDE, DELETE = "hide", "unhide", "delete"
ACTIONS = (HIDE, UNHIDE, DELETE)
HIDDEN, DELETED = "hidden", "deleted"  # what `moderation.state` says after a hide or a delete
MANAGER_ONLY = frozenset({DELETE})
BY_THE_PLATFORM = "platform"  # `moderation.by` of a hide or delete the platform told of (Facebook's feed verbs)

SUPPORTED: dict[tuple[str, str], frozenset[str]] = {
    ("facebook", "comment"): frozenset(ACTIONS),
    ("facebook", "reply"): frozenset(ACTIONS),
    ("instagram", "comment"): frozenset(ACTIONS),
    ("instagram", "reply"): frozenset(ACTIONS),
    ("x", "reply"): frozenset({HIDE, UNHIDE}),
    ("telegram", "comment"): frozenset({DELETE}),
    ("telegram", "reply"): frozenset({DELETE}),
}


def actions_for(platform: str, channel: str, direction: str = "inbound") -> tuple[str, ...]:
    """What can be done to a message on its platform (the console offers these), in ACTIONS order."""
    if direction != "inbound":
        return ()
    allowed = SUPPORTED.get((platform, channel), frozenset())
    return tuple(a for a in ACTIONS if a in allowed)


def check_can_moderate(action: str, platform: str, channel: str, direction: str, actor: Actor) -> None:
    """Refuse an action the platform does not offer for this message, or a delete by an agent."""
    if action not in actions_for(platform, channel, direction):
        offered = actions_for(platform, channel, direction)
        what = "the brand's own messages" if direction != "inbound" else f"a {platform} {channel}"
        raise ModerationUnsupported(
            f"{action} is not offered for {what}" + (f" (offered: {', '.join(offered)})" if offered else
                                                     ": nothing can be moderated there"))
    if action in MANAGER_ONLY and not actor.may_override:
        raise NotAllowed("deleting on the platform cannot be undone: it is for managers and admins (an agent hides)",
                         code="delete_not_allowed")


def next_state(action: str, moderation: dict | None) -> str | None:
    """The moderation state after `action`, or None when it is already so (nothing to do, nothing to call).
    `moderation` is the message's record (None: never moderated from here). Refuses what cannot follow."""
    state = (moderation or {}).get("state")
    if state == DELETED:
        if action == DELETE:
            return None
        raise WrongStatus("the message was deleted on the platform: it cannot be hidden or shown again",
                          code="already_deleted")
    if action == HIDE:
        return None if state == HIDDEN else HIDDEN
    if action == UNHIDE:
        if state != HIDDEN:
            raise WrongStatus("the message is not hidden from here", code="not_hidden")
        return "visible"
    return DELETED


def shown_again_as(previous_status: str | None, is_member: bool, thread_moved_on: bool) -> str:
    """The status of a hidden message shown again: a later message back in its thread; a conversation open in its
    queue, or resolved when it was resolved or when its thread moved on to a conversation opened while it was hidden
    (one queue item per thread; a person may reopen it)."""
    if is_member or previous_status == IN_CONVERSATION:
        return IN_CONVERSATION
    return RESOLVED if previous_status == RESOLVED or thread_moved_on else OPEN
