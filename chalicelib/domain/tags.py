"""Tags (Chatwoot's labels, Zendesk's tags): short words the team puts on a conversation to find it again and to
group it ("refund", "vip", "crisis-dec", "炎上"). Anyone who may read a conversation may tag it, claimed or not,
in any state but removed: a tag is a fact about the conversation, not a step of its workflow.

A tag is letters, digits, `_` and `-` (any script), at most MAX_TAG_CHARS. Letters are kept in lower case and
full-width Latin letters and digits as ASCII, so "VIP", "vip" and "ｖｉｐ" are one tag; both foldings keep each
character one character, so a tag the contract accepts stays one it accepts."""

from __future__ import annotations

from typing import Iterable

from .errors import TooManyTags

MAX_TAGS = 10  # per conversation
MAX_TAG_CHARS = 32
MAX_CHANGE = MAX_TAGS  # tags one request may add, and may remove
# Python's re semantics (\w: any script's letters and digits, and _): the contract is validated with them too
TAG_PATTERN = r"^[\w-]+$"

_FULL_WIDTH = {code: code - 0xFEE0 for first, last in (("Ａ", "Ｚ"), ("ａ", "ｚ"), ("０", "９"))
               for code in range(ord(first), ord(last) + 1)}


def _lower(character: str) -> str:
    lower = character.lower()
    return lower if len(lower) == 1 else character  # "İ" lowers to two characters: kept as typed


def normalized(tag: str) -> str:
    """The one spelling a tag is kept in."""
    return "".join(map(_lower, tag.translate(_FULL_WIDTH)))


def changed(current: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()) -> list[str]:
    """The tags after adding `add` and removing `remove` (removal wins when a tag is in both): the kept ones in
    their order, then the new ones in the order given. Refused when more than MAX_TAGS would remain."""
    removed = {normalized(tag) for tag in remove}
    tags = [tag for tag in dict.fromkeys(current) if tag not in removed]
    tags += [tag for tag in dict.fromkeys(normalized(tag) for tag in add) if tag not in removed and tag not in tags]
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"a conversation keeps at most {MAX_TAGS} tags; remove one before adding another")
    return tags
