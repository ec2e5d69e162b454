"""Tags (Chatwoot's labels, Zendesk's tags): short words the team puts on a conversation to find it again and to
group it ("refund", "vip", "crisis-dec", "炎上"). Anyone who may read a conversation may tag it, claimed or not,
in any state but removed: a tag is a fact about the conversation, not a step of its workflow.

A tag is 1 to MAX_TAG_CHARS characters in any script, none of them a space, an invisible character, a control
character or a comma (the separator people type). It is kept in one spelling, Unicode's NFKC case fold
(`normalized`), so "VIP", "vip" and "ｖｉｐ", "ΟΔΟΣ" and "οδος", "ｶﾀｶﾅ" and "カタカナ", a composed and a
decomposed "café", are one tag each."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from .errors import TooManyTags

MAX_TAGS = 10  # per conversation
MAX_TAG_CHARS = 32
MAX_CHANGE = MAX_TAGS  # tags one request may add, and may remove

# What a tag may not hold, spelled out code point by code point, so that the contract's pattern means the same to
# pydantic (Rust), Python and a client's ECMAScript validator: controls, spaces (Unicode's White_Space), the
# invisible format characters around them, and the comma in its every width.
_NOT_IN_A_TAG = (r"\u0000-\u0020\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f"
                 r"\u3000\ufe10\ufe50\ufeff\uff0c,")
TAG_PATTERN = rf"^[^{_NOT_IN_A_TAG}]+$"
_DROPPED = re.compile(rf"[{_NOT_IN_A_TAG}]+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalized(tag: str) -> str:
    """The one spelling a tag is kept in: NFKC, case folded, NFKC again (Unicode's NFKC_Casefold, near enough),
    without what a tag may not hold (NFKC turns a few characters into a space and a mark) and at most
    MAX_TAG_CHARS characters (folding lengthens a few, such as "ß" to "ss")."""
    return _nfkc(_DROPPED.sub("", _nfkc(_nfkc(tag).casefold())))[:MAX_TAG_CHARS]


def changed(current: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
    """The tags after adding `add` and removing `remove` (removal wins when a tag is in both): the kept ones in
    their order, then the new ones in the order given. Refused when more than MAX_TAGS would remain."""
    removed = {normalized(tag) for tag in remove}
    tags = [tag for tag in dict.fromkeys(current) if tag not in removed]
    tags += [tag for tag in dict.fromkeys(normalized(tag) for tag in add) if tag not in removed and tag not in tags]
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"a conversation keeps at most {MAX_TAGS} tags; remove one before adding another")
    return tags
