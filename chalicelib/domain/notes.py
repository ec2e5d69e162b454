"""Internal notes (Chatwoot's private notes, Zendesk's internal comments): what one agent leaves on a
conversation for the next, never sent to the customer. Anyone who may read the conversation may add one, in
any state (a resolved conversation keeps its post-mortem), and none is edited or deleted afterwards."""

from __future__ import annotations

MAX_NOTES = 100  # per conversation: they are read with it, in the same Query as its head and replies
MAX_NOTE_CHARS = 2_000
