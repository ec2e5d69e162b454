"""The satisfaction survey in DynamoDB: one settings item, replaced only at the revision its editor read."""

from __future__ import annotations

from ..domain.surveys import Survey
from . import automatic_messages
from .entities import SurveyKeys


def get(consistent: bool = True) -> Survey:
    """As saved; never saved: off, at rev 0."""
    return automatic_messages.get(Survey, SurveyKeys.SK, consistent)


def save(changed: Survey, read_rev: int) -> Survey:
    """Store `changed` (its rev the next one) if the item is still at `read_rev`; else ConcurrentChange."""
    return automatic_messages.save(changed, SurveyKeys.SK, SurveyKeys.TYPE, "satisfaction survey", read_rev)
