"""Internal notes (Chatwoot's private notes, Zendesk's internal comments): what one agent leaves on a
conversation for the next, never sent to the customer. Anyone who may read the conversation may add one, in
any state (a resolved conversation keeps its post-mortem), and none is edited or deleted afterwards."""

from __future__ import annotations

# Per conversation: read with it (the same Query as its head and replies) and answered with it, so their worst
# case (JSON escapes a character to at most 14 bytes in Lambda's envelope) stays under 1 MB of its 6 MB answer.
MAX_NOTES = 50
MAX_NOTE_CHARS = 1_000
