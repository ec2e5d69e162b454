"""What the automatic messages share (the away message, domain.away; the satisfaction survey, domain.surveys): a text
managers approve, a translation per triage language, the customer's name filled in, and every text fitting a direct
message on every platform it may be sent on. They go only to direct messages: an automatic answer under a public
post is noise the whole audience sees. An automatic message is not the brand's answer: it sets no first reply and
counts in no person's work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import reply_limits
from .errors import DomainError, InvalidRequest, TextTooLong

MAX_TEXT_CHARS = 1_000
LANGUAGES = ("en", "ja")  # a translation per triage language; anyone else gets the default text
NAME_TOKEN = "{{customer_name}}"
# a name as long as platforms show: the text must fit every platform's DM with it filled in
LONGEST_NAME = 50
# where they are sent: every platform we can send a direct message on
DM_PLATFORMS = ("messenger", "instagram", "whatsapp", "x", "telegram")
DIRECT_MESSAGE = "direct_message"
_WITHOUT_NAME = re.compile(r"[,、]?[ \t]*" + re.escape(NAME_TOKEN))


@dataclass
class AutomaticMessage:
    enabled: bool = False
    text: str = ""
    translations: dict[str, str] = field(default_factory=dict)
    updated_by: str | None = None
    updated_at: str | None = None
    rev: int = 0  # 0: never saved

    def text_for(self, language: str | None, customer_name: str | None) -> str:
        """The words sent to a customer writing in `language`, their name filled in (without one, the token goes with
        the comma and space before it: "Hi {{customer_name}}, ..." reads "Hi, ...", "How did we do, {{customer_name}}?"
        reads "How did we do?")."""
        return with_name(self.translations.get(language or "") or self.text, customer_name)


def with_name(text: str, customer_name: str | None) -> str:
    """`{{customer_name}}` filled in; without a name the token goes with the comma and space before it."""
    if customer_name:
        return text.replace(NAME_TOKEN, customer_name)
    return _WITHOUT_NAME.sub("", text)


def is_direct_message(platform: str, channel: str, direction: str = "inbound") -> bool:
    return channel == DIRECT_MESSAGE and platform in DM_PLATFORMS and direction == "inbound"


def check_texts(what: str, enabled: bool, text: str, translations: dict[str, str],
                too_long: type[DomainError]) -> None:
    """What a manager may save: turned on only with a text; every text fits every platform's DM with a long name
    filled in (else `too_long`, naming the text and the platform)."""
    if enabled and not text.strip():
        raise InvalidRequest(f"{what} that is on needs a text")
    for language, words in {"": text, **translations}.items():
        longest = words.replace(NAME_TOKEN, "W" * LONGEST_NAME)
        for platform in DM_PLATFORMS:
            try:
                reply_limits.check_text_length(platform, DIRECT_MESSAGE, longest)
            except TextTooLong as refused:
                which = f"the {language} text" if language else "the text"
                raise too_long(f"{which} is too long for a direct message on {platform} (with a name of "
                               f"{LONGEST_NAME} characters filled in): {refused.message}") from None


def customer_name(author: dict[str, str] | None) -> str | None:
    """How an automatic message names the customer: their name, else their @handle."""
    author = author or {}
    return author.get("name") or (f"@{author['handle']}" if author.get("handle") else None)
