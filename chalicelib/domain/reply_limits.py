"""How long a reply each platform takes, measured as it measures it, so a reply too long is refused before anything
is stored or sent (the platform would refuse it, and X would answer 403, which reads like a lost permission).

| reply to | limit | measured as |
|---|---|---|
| Messenger DM, Facebook private reply | 2,000 | characters |
| Instagram DM, Instagram private reply | 1,000 | UTF-8 bytes (Meta: "UTF-8 and 1000 bytes or less") |
| Facebook comment | 8,000 | characters |
| Instagram comment | 2,200 | characters |
| WhatsApp | 4,096 | characters |
| X post (a reply) | 280, `X_POST_MAX_WEIGHT` | X's weighted length: most CJK characters and emoji count 2, a link 23 |
| X DM | 10,000 | characters |
| Telegram | 4,096 | UTF-16 code units (as Telegram counts entities) |

Sources: https://developers.facebook.com/docs/messenger-platform/reference/send-api/ (message.text, 2000),
https://developers.facebook.com/docs/messenger-platform/instagram/features/send-message (1000 bytes),
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages (text.body, 4096),
https://core.telegram.org/bots/api#sendmessage (1-4096 characters after entities parsing),
https://docs.x.com/resources/fundamentals/counting-characters and twitter-text's config v3 (weights).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import TextTooLong

X_URL_WEIGHT = 23  # every link is wrapped in a t.co link of this length
# twitter-text v3: code points in these ranges weigh 1, every other one 2
_X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
# a link with its protocol and a dotted host; what ends a sentence after it is not part of it
_X_URL = re.compile(r"https?://(?:[^\s/?#.]+\.)+[^\s/?#.]{2,}[^\s]*", re.IGNORECASE)
_AFTER_A_LINK = ".,!?:;'\""
ZWJ, TEXT_STYLE, EMOJI_STYLE, KEYCAP = 0x200D, 0xFE0E, 0xFE0F, 0x20E3


@dataclass(frozen=True)
class TextLimit:
    limit: int
    unit: str  # characters | bytes | weighted | utf16

    def measure(self, text: str) -> int:
        if self.unit == "bytes":
            return len(text.encode("utf-8", "surrogatepass"))
        if self.unit == "utf16":
            return len(text.encode("utf-16-le", "surrogatepass")) // 2
        if self.unit == "weighted":
            return x_weighted_length(text)
        return len(text)


def limit_for(platform: str, channel: str, private: bool = False, x_post_max_weight: int = 280) -> TextLimit | None:
    """The platform's limit on a reply to a message of `channel` (None: no limit known, the API's own 4,000)."""
    if private:  # a DM through Meta's Private Replies
        return TextLimit(1_000, "bytes") if platform == "instagram" else TextLimit(2_000, "characters")
    if platform == "messenger":
        return TextLimit(2_000, "characters")
    if platform == "instagram":
        return TextLimit(1_000, "bytes") if channel == "direct_message" else TextLimit(2_200, "characters")
    if platform == "facebook":
        return TextLimit(8_000, "characters")
    if platform == "whatsapp":
        return TextLimit(4_096, "characters")
    if platform == "x":
        return TextLimit(10_000, "characters") if channel == "direct_message" else TextLimit(x_post_max_weight,
                                                                                              "weighted")
    if platform == "telegram":
        return TextLimit(4_096, "utf16")
    return None


def check_text_length(platform: str, channel: str, text: str, private: bool = False,
                      x_post_max_weight: int = 280) -> None:
    limit = limit_for(platform, channel, private, x_post_max_weight)
    if limit is None:
        return
    length = limit.measure(text)
    if length > limit.limit:
        how = {"bytes": " UTF-8 bytes", "utf16": " (UTF-16 units)",
               "weighted": " (X's count: a Japanese, Chinese or Korean character or an emoji counts 2, a link 23)"}
        raise TextTooLong(f"{platform} takes {limit.limit:,}{how.get(limit.unit, ' characters')} here; this reply "
                          f"is {length:,}", limit=limit.limit, length=length, unit=limit.unit)


def x_weighted_length(text: str) -> int:
    """X's weighted length of a post (twitter-text v3): NFC, each link 23, each code point 1 or 2 by range, an emoji
    2 in all (a sequence joined by ZWJ, with its skin tone, or a flag's two letters; `©` or a digit made an emoji by
    U+FE0F or a keycap too). A link without `https://` (`example.com`) is counted as typed, where X counts 23: this
    count is never more than X's (tests/domain/test_reply_limits.py checks it against a port of twitter-text), so
    the API refuses only what X would."""
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for link in _X_URL.finditer(text):
        total += _weigh(text[last:link.start()]) + X_URL_WEIGHT
        last = link.start() + len(link.group().rstrip(_AFTER_A_LINK))
    return total + _weigh(text[last:])


def _pictographic(point: int) -> bool:
    """An emoji shown as one by default (its weight is 2): what a ZWJ, a skin tone or a tag joins on to."""
    return point >= 0x1F000 or 0x2300 <= point <= 0x23FF or 0x2600 <= point <= 0x27BF or 0x2B00 <= point <= 0x2BFF


def _weigh(text: str) -> int:
    total, emoji, last_weight, joined, flag_half = 0, False, 0, False, False
    for char in text:
        point = ord(char)
        if joined:  # the code point after a ZWJ inside an emoji: part of it
            joined = False
            continue
        if emoji and (point == ZWJ or 0x1F3FB <= point <= 0x1F3FF or 0xE0020 <= point <= 0xE007F):
            joined = point == ZWJ  # a skin tone or a tag letter belongs to the emoji; a ZWJ joins the next one
            continue
        if point in (EMOJI_STYLE, KEYCAP, TEXT_STYLE):
            if point != TEXT_STYLE and not emoji and last_weight == 1:  # © or a digit made an emoji: 2 in all
                total, emoji, last_weight = total + 1, True, 2
            continue
        if 0x1F1E6 <= point <= 0x1F1FF:  # two regional indicators make one flag
            flag_half = not flag_half
            if not flag_half:
                continue
        else:
            flag_half = False
        last_weight = 1 if any(low <= point <= high for low, high in _X_LIGHT) else 2
        total += last_weight
        emoji = _pictographic(point) or 0x1F1E6 <= point <= 0x1F1FF
    return total
