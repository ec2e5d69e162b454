"""Priority computed at ingestion: a number agents sort by (0-100, higher first) and its reasons.

  base by channel      direct_message 30, mention 20, reply/comment 15, post 10
  queue                customer_service and stance +10 (a customer waiting; a reputational risk)
  urgency cues         +25 for each kind found, at most two: safety, legal, account_compromise, outage, money
  negative tone        +10 (strong words in either language, shouting in capitals, !!!)
  repeated contact     +15 when the author sent 3 or more messages within 15 minutes
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Channel

CHANNEL_BASE = {
    Channel.DIRECT_MESSAGE: 30,
    Channel.MENTION: 20,
    Channel.REPLY: 15,
    Channel.COMMENT: 15,
    Channel.POST: 10,
}
QUEUE_BONUS = {"customer_service": 10, "stance": 10, "community": 0}
URGENCY_POINTS = 25
MAX_URGENCY_KINDS = 2
NEGATIVE_POINTS = 10
BURST_POINTS = 15
BURST_MESSAGES = 3

URGENCY_CUES: dict[str, re.Pattern[str]] = {
    kind: re.compile(pattern, re.IGNORECASE)
    for kind, pattern in {
        "safety": r"\b(injur\w*|hurt|fire|smoke|burn(ed|t)?|allerg\w*|poison\w*|food poisoning|unsafe|dangerous|"
                  r"emergency|choking|overdose)\b|怪我|けが|火事|発火|煙|やけど|アレルギー|食中毒|危険|救急",
        "legal": r"\b(lawyer|attorney|sue|suing|lawsuit|legal action|small claims|court|regulator|ombudsman|bbb)\b"
                 r"|弁護士|訴え|訴訟|裁判|消費者センター|法的",
        "account_compromise": r"\b(hack(ed|er)?|compromised|stolen (account|card)|unauthori[sz]ed|fraud\w*|"
                              r"identity theft|scammed)\b|乗っ取|不正利用|不正アクセス|身に覚えのない",
        "outage": r"\b(outage|down again|is down|not working|no service|no signal|can'?t (log ?in|connect)|"
                  r"blackout|offline)\b|障害|繋がらない|つながらない|圏外|ログインできない|落ちて",
        "money": r"\b(refund\w*|charged twice|double charged?|overcharg\w*|chargeback|money back)\b"
                 r"|返金|二重請求|請求が二重|返して",
    }.items()
}
NEGATIVE_CUES = re.compile(
    r"\b(worst|terrible|horrible|awful|disgusting|unacceptable|ridiculous|furious|pathetic|useless|scam)\b"
    r"|最悪|ふざけ|許せない|ひどい|酷い|二度と|いい加減|怒",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Priority:
    score: int
    reasons: list[str]


def compute_priority(channel: Channel, queue: str, text: str, recent_from_author: int) -> Priority:
    """`recent_from_author` counts this author's messages in the current window, this one included."""
    score = CHANNEL_BASE.get(channel, 10)
    reasons = [f"channel:{channel.value}"]
    if QUEUE_BONUS.get(queue):
        score += QUEUE_BONUS[queue]
        reasons.append(f"queue:{queue}")
    urgent = [kind for kind, cue in URGENCY_CUES.items() if cue.search(text)][:MAX_URGENCY_KINDS]
    score += URGENCY_POINTS * len(urgent)
    reasons += [f"urgent:{kind}" for kind in urgent]
    if _negative(text):
        score += NEGATIVE_POINTS
        reasons.append("negative_tone")
    if recent_from_author >= BURST_MESSAGES:
        score += BURST_POINTS
        reasons.append("repeated_contact")
    return Priority(min(score, 100), reasons)


def requeued(priority: Priority, queue: str) -> Priority:
    """The same message's priority had it been triaged into `queue`: only the queue's bonus changes."""
    was = next((r.split(":", 1)[1] for r in priority.reasons if r.startswith("queue:")), None)
    reasons = [r for r in priority.reasons if not r.startswith("queue:")]
    if QUEUE_BONUS.get(queue):
        reasons.insert(1 if reasons and reasons[0].startswith("channel:") else 0, f"queue:{queue}")
    score = priority.score - QUEUE_BONUS.get(was or "", 0) + QUEUE_BONUS.get(queue, 0)
    return Priority(max(0, min(score, 100)), reasons)


def _negative(text: str) -> bool:
    if NEGATIVE_CUES.search(text) or "!!!" in text or "！！！" in text:
        return True
    letters = _LETTERS.findall(text)
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
