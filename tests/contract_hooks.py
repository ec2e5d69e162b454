"""Schemathesis hooks for tests/test_contract.py (loaded through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import json

import schemathesis


RELATIVE_RULES = frozenset({(400, "invalid_cursor"), (400, "invalid_snooze"), (422, "business_hours_not_set"),
                            (400, "invalid_business_hours"), (422, "away_text_too_long"),
                            (422, "survey_text_too_long"), (422, "rule_reply_too_long"), (400, "invalid_templates")})


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Rules a static schema cannot state, rightly refused: a listing cursor is opaque (one generated from
    its pattern is not one a listing returned: 400 invalid_cursor), a snooze's `until` must be 1 minute to 30 days
    after the request (400 invalid_snooze; the field's description says so), and the away message can be turned on
    only where there are business hours (422 business_hours_not_set), and business hours must be a schedule the
    parser reads, in a zone the server's IANA database knows (400 invalid_business_hours: a range closing before it
    opens, `xyz 09:00-10:00`), and an automatic message (the away message, the survey, a rule's reply) must fit a
    direct message on every platform in UTF-8 bytes (Instagram's 1,000), which a length in characters cannot state
    (422 *_too_long), and WhatsApp templates name each template and language once and number their placeholders
    without a gap (400 invalid_templates); the fields' descriptions say so. Every other failure stands."""
    if type(failure).__name__ != "RejectedPositiveData":
        return True
    try:
        return (response.status_code, json.loads(response.content)["error"]["code"]) not in RELATIVE_RULES
    except (ValueError, KeyError, TypeError):
        return True
