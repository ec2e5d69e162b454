"""Conversations: which messages belong together, and how a conversation follows its messages.

The queue item is the conversation. Its id is the id of the message that opened it (its first message, the
"head"): the head's item carries the conversation's state (queue, status, claim, priority), and every later
message of the conversation is stored as a member (`in_conversation`), outside the queues.

Which conversation a message joins (its key):

| message | key |
|---|---|
| direct message (Messenger, Instagram, WhatsApp, X, Telegram private chat) | the platform's DM thread (`conversation_id`), else (platform, account, author) |
| a reply whose parent is stored | the parent's conversation |
| a post or comment with a platform conversation id (generic `conversation_id`, else its `thread_id`) | that id |
| a reply whose parent is not stored | the parent (a comment thread is its top-level comment with its replies) |
| a top-level comment (its parent is the brand's post) | its own thread |
| anything else | the message itself |

A new message whose conversation is resolved reopens it when the conversation was resolved less than the reopen
window ago (setting `conversation_reopen_seconds`); after it, the message opens a new conversation. A snoozed
conversation reopens on a new customer message; a claimed one stays with its agent.

Category and priority follow the messages: the conversation's priority is that of its most urgent message
since it was (re)opened; while it is open (nobody holds it) and no person has re-routed it, its queue is the
category of that message. A claim, a person's re-route or a resolve fixes the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .workflow import CLAIMED, OPEN, REMOVED, RESOLVED, SNOOZED

IN_CONVERSATION = "in_conversation"  # a member message: its state is its conversation's


def conversation_key(*, platform: str, channel: str, message_id: str, account: str | None, author_id: str,
                     conversation_id: str | None = None, parent_id: str | None = None,
                     parent_key: str | None = None) -> str:
    """The key of the conversation a message belongs to (see the table above). `parent_key` is the stored
    parent's key, when the parent is stored."""
    if channel == "direct_message":
        if conversation_id:
            return f"dm#{conversation_id}"
        return f"dm#{platform}:{account or ''}:{author_id}"  # adapters give outbound DMs a conversation_id
    if parent_key:
        return parent_key
    if conversation_id:
        return f"conv#{conversation_id}"
    # a reply's thread is its parent comment; a top-level comment's parent is the brand's post: its own thread
    return f"thread#{parent_id if channel == 'reply' and parent_id else message_id}"


@dataclass(frozen=True)
class Head:
    """What the rules need of a conversation as stored (its head item)."""

    status: str
    queue: str
    priority: int
    corrected: bool  # a person re-routed it
    resolved_at: datetime | None


def starts_new_conversation(head: Head | None, now: datetime, reopen_window: timedelta) -> bool:
    """Whether a new customer message opens a conversation of its own instead of joining `head`'s."""
    if head is None or head.status == REMOVED:
        return True
    if head.status == RESOLVED:
        return head.resolved_at is None or now - head.resolved_at > reopen_window
    return False


@dataclass(frozen=True)
class Joined:
    """The conversation after a new customer message joined it."""

    status: str
    queue: str
    priority: int
    takes_message_priority: bool  # the new message is now the most urgent (its reasons are the conversation's)
    reopened: bool


def join(head: Head, category: str, priority: int) -> Joined:
    """A customer message of `category` and `priority` joins an active (or recently resolved) conversation."""
    reopened = head.status in (RESOLVED, SNOOZED)
    status = CLAIMED if head.status == CLAIMED else OPEN
    # a reopened conversation starts over from its new message; an active one keeps its most urgent message
    takes = reopened or priority > head.priority
    new_priority = priority if takes else head.priority
    follows_messages = status == OPEN and not head.corrected
    queue = category if follows_messages and takes else head.queue
    return Joined(status=status, queue=queue, priority=new_priority, takes_message_priority=takes, reopened=reopened)
