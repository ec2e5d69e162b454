"""The console's business hours (console/src/business_hours.js, run by node): the per-day editor's form read from an
`hours` string (closed, open all day, one or two ranges; a closing 24:00 shown as 00:00), the `hours` string built
back from it (days with the same ranges together, `mon-fri` for a run, `sat,sun` for a pair), PUT /business-hours'
body at the revision read (null hours for "no business hours", holidays once each, in order), what it refuses before
asking the API; and every word of it in English and Japanese."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(shutil.which("node") is None,
                                reason="node builds the console; without it there is no console")

MODULE = (ROOT / "console" / "src" / "business_hours.js").as_uri()
MESSAGES = (ROOT / "console" / "src" / "messages.js").as_uri()
BLANK = {"from": "", "to": ""}


def run(script: str, *args: str):
    """`script`'s JSON output; `hours` and `messages` are the console's modules."""
    prelude = (f"const hours = await import({json.dumps(MODULE)});"
               f"const {{ MESSAGES: messages }} = await import({json.dumps(MESSAGES)});")
    result = subprocess.run(["node", "--input-type=module", "-e", prelude + script, *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def call(name: str, *args):
    """hours.<name>(*args), its arguments and answer through JSON (undefined answers null)."""
    return run(f"console.log(JSON.stringify(hours[{json.dumps(name)}](...JSON.parse(process.argv[1])) ?? null));",
               json.dumps(list(args)))


def answer(hours, timezone="Asia/Tokyo", holidays=()):
    return {"hours": hours, "timezone": timezone, "holidays": list(holidays), "text": None, "open_now": None,
            "source": "saved", "updated_by": None, "updated_at": None, "rev": 3}


def closed():
    return {"mode": "closed", "ranges": [{"from": "09:00", "to": "18:00"}, BLANK]}


def all_day():
    return {"mode": "allDay", "ranges": [{"from": "09:00", "to": "18:00"}, BLANK]}


def open_(*ranges):
    shown = [{"from": a, "to": b} for a, b in ranges]
    return {"mode": "hours", "ranges": shown + [BLANK] * (2 - len(shown))}


def form(days, none=False, timezone="Asia/Tokyo", holidays=()):
    return {"none": none, "days": days, "timezone": timezone, "holidays": list(holidays)}


WEEKDAYS_AND_SATURDAY = [open_(("09:00", "18:00"))] * 5 + [open_(("10:00", "14:00")), closed()]


def test_weekdays_and_a_shorter_saturday_read_into_the_form_and_back():
    read = call("hoursForm", answer("mon-fri 09:00-18:00; sat 10:00-14:00", holidays=["2026-12-31"]))
    assert read == {"none": False, "days": WEEKDAYS_AND_SATURDAY, "timezone": "Asia/Tokyo",
                    "holidays": ["2026-12-31"], "fits": True}
    assert call("hoursBody", read, 3) == {"hours": "mon-fri 09:00-18:00; sat 10:00-14:00", "timezone": "Asia/Tokyo",
                                          "holidays": ["2026-12-31"], "rev": 3}


def test_a_whole_day_is_open_all_day_and_builds_back_as_00_00_24_00():
    read = call("hoursForm", answer("sat,sun 00:00-24:00"))
    assert [day["mode"] for day in read["days"]] == ["closed"] * 5 + ["allDay"] * 2
    assert call("hoursBody", read, 0)["hours"] == "sat,sun 00:00-24:00"
    assert call("hoursBody", form([all_day()] * 7), 0)["hours"] == "mon-sun 00:00-24:00"
    # a range up to midnight: the time input holds 00:00, which means 24:00 as a closing time
    read = call("hoursForm", answer("fri 18:00-24:00"))
    assert read["days"][4] == open_(("18:00", "00:00"))
    assert call("hoursBody", read, 0)["hours"] == "fri 18:00-24:00"


def test_two_ranges_a_day_are_two_rules_for_the_same_days():
    days = [open_(("09:00", "12:00"), ("13:00", "18:00"))] * 5 + [closed(), closed()]
    assert call("hoursBody", form(days), 1)["hours"] == "mon-fri 09:00-12:00; mon-fri 13:00-18:00"
    read = call("hoursForm", answer("mon-fri 09:00-12:00; mon-fri 13:00-18:00"))
    assert read["days"] == days and read["fits"] is True
    # the second range typed first: sorted by when it opens
    assert call("hoursBody", form([open_(("13:00", "18:00"), ("09:00", "12:00"))] + [closed()] * 6), 1)["hours"] == (
        "mon 09:00-12:00; mon 13:00-18:00")


def test_the_same_days_are_grouped_runs_as_ranges_pairs_and_single_days_listed():
    assert call("dayList", [0, 1, 2, 3, 4]) == "mon-fri"
    assert call("dayList", [5, 6]) == "sat,sun"
    assert call("dayList", [0, 2, 4]) == "mon,wed,fri"
    assert call("dayList", [0, 1, 2, 4, 5, 6]) == "mon-wed,fri-sun"
    nine_to_six, ten_to_two = open_(("09:00", "18:00")), open_(("10:00", "14:00"))
    days = [nine_to_six, ten_to_two, nine_to_six, ten_to_two, nine_to_six, closed(), all_day()]
    assert call("hoursBody", form(days), 0)["hours"] == (
        "mon,wed,fri 09:00-18:00; tue,thu 10:00-14:00; sun 00:00-24:00")


def test_what_the_api_may_answer_reads_as_it_counts_it():
    # a run across the weekend wraps, overlapping rules are one range, upper case and spaces are read
    read = call("hoursForm", answer("fri-mon 09:00-10:00"))
    assert [day["mode"] for day in read["days"]] == ["hours", "closed", "closed", "closed", "hours", "hours", "hours"]
    assert call("hoursForm", answer("MON 09:00-12:00;  mon 11:00-15:00"))["days"][0] == open_(("09:00", "15:00"))
    # the operator's one open minute a day
    assert call("hoursBody", call("hoursForm", answer("mon-sun 00:00-00:01")), 0)["hours"] == "mon-sun 00:00-00:01"


def test_more_ranges_than_the_editor_holds_or_unreadable_hours_are_said_not_to_fit():
    assert call("hoursForm", answer("mon 08:00-09:00; mon 10:00-11:00; mon 12:00-13:00"))["fits"] is False
    assert call("hoursForm", answer("mon-fri 9-18"))["fits"] is False
    assert call("weekly", "mon-fri 9-18") is None
    assert call("weekly", "mon 18:00-09:00") is None  # closes before it opens: a night shift is two rules


def test_no_business_hours_is_null_hours_and_the_form_starts_from_weekdays():
    read = call("hoursForm", answer(None, timezone="UTC"))
    assert read["none"] is True and read["fits"] is True and read["timezone"] == "UTC"
    assert [day["mode"] for day in read["days"]] == ["hours"] * 5 + ["closed"] * 2
    assert call("hoursBody", read, 2) == {"hours": None, "timezone": "UTC", "holidays": [], "rev": 2}
    assert call("hoursProblem", read) is None
    assert call("hoursForm", None)["none"] is True


def test_holidays_are_sent_once_each_in_order_blanks_left_out():
    body = call("hoursBody", form(WEEKDAYS_AND_SATURDAY, holidays=["2027-01-01", "", "2026-12-31", "2027-01-01"]), 0)
    assert body["holidays"] == ["2026-12-31", "2027-01-01"]


def test_a_form_that_cannot_be_saved_is_refused_naming_the_day_and_range():
    assert call("hoursProblem", form(WEEKDAYS_AND_SATURDAY)) is None
    assert call("hoursProblem", form([open_(("09:00", ""))] + [closed()] * 6)) == {
        "problem": "rangeIncomplete", "day": 0, "range": 0}
    assert call("hoursProblem", form([closed(), open_(("18:00", "09:00"))] + [closed()] * 5)) == {
        "problem": "closesBeforeOpens", "day": 1, "range": 0}
    assert call("hoursProblem", form([closed()] * 2 + [open_(("09:00", "13:00"), ("12:00", "18:00"))]
                                     + [closed()] * 4)) == {"problem": "rangesOverlap", "day": 2, "range": 1}
    assert call("hoursProblem", form([closed()] * 7)) == {"problem": "noDayOpen", "day": 0}
    assert call("hoursProblem", form(WEEKDAYS_AND_SATURDAY, timezone=" ")) == {"problem": "timezoneNeeded"}
    assert call("hoursProblem", form(WEEKDAYS_AND_SATURDAY, holidays=["2026-12-31", "31/12/2026"])) == {
        "problem": "badDate", "holiday": 1}
    # "no business hours" needs no open day
    assert call("hoursProblem", form([closed()] * 7, none=True)) is None


def test_times_read_as_the_api_reads_them():
    assert call("minutes", "09:30") == 570
    assert call("minutes", "00:00", True) == 1440 and call("minutes", "24:00", True) == 1440
    assert call("minutes", "24:00") is None and call("minutes", "9:00") is None and call("minutes", "10:60") is None
    assert call("clock", 1440) == "24:00" and call("clock", 65) == "01:05"


def test_every_word_of_the_business_hours_is_said_in_both_languages():
    out = run("console.log(JSON.stringify(Object.fromEntries(['en', 'ja'].map((lang) => [lang, Object.fromEntries("
              "Object.entries(messages[lang]).filter(([key]) => /^(hours\\.|away\\.\\w+Here$)/.test(key)))]))));")
    assert set(out["en"]) == set(out["ja"]), set(out["en"]) ^ set(out["ja"])
    assert len(out["en"]) > 40
    for lang, entries in out.items():
        for key, text in entries.items():
            assert text.strip(), (lang, key)
    assert out["en"]["hours.none"] == "No business hours (every hour counts)"
    assert out["en"]["hours.loadCurrent"] == "Load the current ones"
    for lang in ("en", "ja"):
        assert "{message}" in out[lang]["hours.error.invalid"] and "{day}" in out[lang]["hours.problem.rangeIncomplete"]
        assert "{who}" in out[lang]["hours.source.saved"] and "{at}" in out[lang]["hours.source.saved"]
