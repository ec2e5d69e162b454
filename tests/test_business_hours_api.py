"""Business hours over the API: the operator's settings until a manager saves some; saved ones are what the SLAs and
the away message follow, in every container within its copy's 30 seconds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from support import call, reset_caches

TOKYO = {"hours": "mon-fri 09:00-18:00; sat 10:00-14:00", "timezone": "Asia/Tokyo", "holidays": ["2026-12-31"]}


def save(api, keys, rev=0, who="manager", **body):
    return call(api, "PUT", "/business-hours", keys[who], {**TOKYO, "rev": rev, **body})


@pytest.fixture
def operator_hours(monkeypatch):
    monkeypatch.setenv("SLA_BUSINESS_HOURS", "mon-sun 08:00-20:00")
    monkeypatch.setenv("SLA_TIMEZONE", "Europe/Paris")
    reset_caches()
    yield
    monkeypatch.undo()
    reset_caches()


def test_without_any_every_hour_counts(api, keys):
    status, hours = call(api, "GET", "/business-hours", keys["agent_cs"])  # every role may read them
    assert status == 200 and hours == {"hours": None, "timezone": "UTC", "holidays": [], "text": None,
                                       "open_now": None, "source": "none", "updated_by": None, "updated_at": None,
                                       "rev": 0}


def test_the_operators_until_a_manager_saves_some(api, keys, operator_hours):
    status, hours = call(api, "GET", "/business-hours", keys["manager"])
    assert status == 200 and hours["source"] == "operator" and hours["rev"] == 0
    assert hours["text"] == "mon-sun 08:00-20:00 (Europe/Paris)" and isinstance(hours["open_now"], bool)
    # WHEN a manager saves Tokyo's THEN they are the ones in force, for the stats' SLA rows too
    status, saved = save(api, keys)
    assert status == 200, saved
    assert saved["source"] == "saved" and saved["rev"] == 1 and "Max" in saved["updated_by"]
    assert saved["text"] == "mon-fri 09:00-18:00; sat 10:00-14:00 (Asia/Tokyo)" and saved["holidays"] == ["2026-12-31"]
    today = datetime.now(timezone.utc).date()
    _, stats = call(api, "GET", f"/stats?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}",
                    keys["manager"])
    assert {row["business_hours"] for row in stats["sla"]} == {saved["text"]}
    # AND "none" saved here overrides the operator's: every hour counts
    status, none = save(api, keys, rev=1, hours=None)
    assert status == 200 and none["source"] == "saved" and none["text"] is None and none["open_now"] is None
    _, stats = call(api, "GET", f"/stats?from={today}&to={today + timedelta(days=1)}", keys["manager"])
    assert {row["business_hours"] for row in stats["sla"]} == {None}


@pytest.mark.parametrize("body, says", [
    ({"hours": "weekdays 09:00-18:00"}, "unknown day"),
    ({"hours": "mon-fri 18:00-09:00"}, "closes before it opens"),
    ({"hours": "mon-fri 09:00-25:00"}, "not a time of day"),
    ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
    ({"hours": None, "timezone": "Nowhere/At_All"}, "not an IANA time zone"),
])
def test_a_schedule_that_cannot_be_read_is_refused_saying_why(api, keys, body, says):
    status, answer = save(api, keys, **body)
    assert status == 400 and answer["error"]["code"] == "invalid_business_hours", answer
    assert says in answer["error"]["message"]
    assert call(api, "GET", "/business-hours", keys["manager"])[1]["rev"] == 0


def test_changed_at_the_revision_read_and_only_by_managers(api, keys):
    assert save(api, keys)[0] == 200
    status, answer = save(api, keys, hours="mon-sun 00:00-24:00")
    assert status == 409 and answer["error"]["code"] == "concurrent_change"
    assert save(api, keys, rev=1, who="agent_cs")[0] == 403
    assert save(api, keys, rev=1, who="admin")[0] == 200
    assert save(api, keys, rev=1, bad="field")[0] == 400


def test_the_away_message_follows_the_hours_saved_here(api, keys):
    # GIVEN no business hours anywhere: the away message cannot be turned on
    away = {"enabled": True, "text": "We're closed.", "rev": 0}
    assert call(api, "PUT", "/away-message", keys["manager"], away)[1]["error"]["code"] == "business_hours_not_set"
    # WHEN a manager saves some THEN it can, and it says which hours it follows
    assert save(api, keys)[0] == 200
    status, saved = call(api, "PUT", "/away-message", keys["manager"], away)
    assert status == 200 and saved["business_hours"] == "mon-fri 09:00-18:00; sat 10:00-14:00 (Asia/Tokyo)"


@pytest.mark.usefixtures("fake_platforms")
def test_a_direct_message_on_a_holiday_saved_here_gets_the_away_message(api, keys, fake_platforms):
    import json

    import payloads
    from chalicelib import away
    from support import dumps, post_webhook

    today = datetime.now(timezone.utc).date()
    holidays = [str(today + timedelta(days=d)) for d in (-1, 0, 1)]
    assert save(api, keys, hours="mon-sun 09:00-17:00", timezone="UTC", holidays=holidays)[0] == 200
    assert call(api, "PUT", "/away-message", keys["manager"], {"enabled": True, "text": "Closed today.", "rev": 0})[0] \
        == 200
    response = post_webhook(api, "meta", dumps(payloads.messenger_dm("m.holiday", "Are you open today?")))
    assert response.status_code == 200 and json.loads(response.body)["stored"] == 1
    assert away.answer("messenger:m.holiday", datetime.now(timezone.utc)) == "sent"
    assert [s.body["message"]["text"] for s in fake_platforms.sent("messenger")] == ["Closed today."]


def test_hours_saved_in_a_zone_the_server_no_longer_knows_fall_back_to_the_operators(api, keys, table, operator_hours):
    from chalicelib.store import business_hours, dynamo

    # GIVEN hours saved in a zone this server's time-zone database has since dropped
    table.put_item(TableName=dynamo.table_name(), Item=dynamo.to_item({
        "pk": "SETTINGS", "sk": "BUSINESS_HOURS", "hours": "mon-fri 09:00-18:00", "timezone": "Gone/Zone", "rev": 1}))
    business_hours.forget()
    # THEN the SLAs follow the operator's, and the stats answer
    assert business_hours.schedule().text == "mon-sun 08:00-20:00 (Europe/Paris)"
    today = datetime.now(timezone.utc).date()
    status, stats = call(api, "GET", f"/stats?from={today}", keys["manager"])
    assert status == 200 and {row["business_hours"] for row in stats["sla"]} == {"mon-sun 08:00-20:00 (Europe/Paris)"}
    # AND a manager reading them sees what was saved, so as to fix it
    status, hours = call(api, "GET", "/business-hours", keys["manager"])
    assert status == 200 and (hours["timezone"], hours["text"], hours["source"]) == ("Gone/Zone", None, "saved")
