"""Business hours from the console (GET and PUT /business-hours; managers and admins), in the Away message view,
against `make run`'s stack (see conftest.py): a stack of its own whose operator set business hours
(SLA_BUSINESS_HOURS, the default until a manager saves some: `source: operator`), so that the session's stack keeps
every hour as business time.

GIVEN the operator's default business hours
WHEN a manager opens Away message, sets weekday hours, a time zone and a holiday in the per-day editor and saves
THEN they are saved as the API's rules (`mon-fri 09:00-18:00`), and after a reload the view shows them in words, set
here by her, and the editor holds them. A save by someone else meanwhile is said in words and the current ones load
without losing what was typed. WHEN she chooses "No business hours" and saves THEN every hour counts: the away
message's tick cannot be turned on and its notice says to set business hours above.
"""

from __future__ import annotations

import pytest

from .conftest import REQUIRED, blank_console, staffed_stack, scroll_to

try:
    import selenium  # noqa: F401
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("selenium is not installed (pip install -r requirements-dev.txt)", allow_module_level=True)

OPERATOR_DEFAULT = {"SLA_BUSINESS_HOURS": "mon-sat 08:00-20:00", "SLA_TIMEZONE": "UTC"}


@pytest.fixture(scope="module")
def hours_stack(tmp_path_factory):
    """A stack of its own with the operator's business hours, and a manager's and an agent's key."""
    with staffed_stack(tmp_path_factory.mktemp("hours-stack"), OPERATOR_DEFAULT) as stack:
        yield stack


@pytest.fixture
def hours_console(driver, hours_stack, screens, request):
    yield from blank_console(driver, hours_stack, screens, request)


def current(stack) -> dict:
    status, hours = stack.call("GET", "/business-hours")
    assert status == 200, hours
    return hours


def choose(console, css: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(console.find(css)).select_by_value(value)


def type_time(console, css: str, hh_mm: str) -> None:
    """A time typed into an <input type="time"> as a person does (en-US: hours, minutes, AM/PM)."""
    hours, minutes = (int(part) for part in hh_mm.split(":"))
    box = console.find(css)
    console.driver.execute_script("arguments[0].focus()", box)  # the first field (hours), wherever a click lands
    box.send_keys(f"{(hours % 12) or 12:02d}{minutes:02d}{'PM' if hours >= 12 else 'AM'}")
    console.wait(lambda d: box.get_attribute("value") == hh_mm, f"{css} reads {hh_mm}")


def type_date(console, box, iso: str) -> None:
    """A date typed into an <input type="date"> (en-US: month, day, year)."""
    year, month, day = iso.split("-")
    box.send_keys(f"{month}{day}{year}")
    console.wait(lambda d: box.get_attribute("value") == iso, f"the date reads {iso}")


def test_a_manager_sets_weekday_hours_and_a_holiday_then_no_business_hours(hours_console, screenshot):
    console, stack = hours_console, hours_console.stack
    # GIVEN a manager on Away message: the operator's default hours, said in words and as the operator's
    console.sign_in("manager")
    console.driver.get(console.url + "#/away")
    console.text_in("#hours-source", "The operator's default")
    console.text_in("#hours-lines", "Monday to Saturday: 08:00–20:00")
    assert console.find("#hours-open-now").text in ("Open now", "Closed now")
    assert console.find("#hours-some").is_selected()
    assert console.find("#hours-mon-mode").get_attribute("value") == "hours"
    assert console.find("#hours-sun-mode").get_attribute("value") == "closed"
    assert console.find("#away-enabled").is_enabled()
    # WHEN she opens Monday to Friday 09:00-18:00, closes Saturday, picks Tokyo and adds New Year's Eve
    for day in ("mon", "tue", "wed", "thu", "fri"):
        type_time(console, f"#hours-{day}-0-from", "09:00")
        type_time(console, f"#hours-{day}-0-to", "18:00")
    choose(console, "#hours-sat-mode", "closed")
    assert not console.all("#hours-sat-0-from")[0].is_displayed()
    choose(console, "#hours-timezone", "Asia/Tokyo")
    console.find("#hours-add-holiday").click()
    holiday = console.find("#hours-holidays li:last-child input[type=date]")
    assert console.driver.execute_script("return document.activeElement") == holiday
    type_date(console, holiday, "2026-12-31")
    assert not console.unlabelled()
    scroll_to(console, "#hours-form")
    screenshot("business-hours-editor")
    console.find("#hours-save").click()
    # THEN they are saved as the API's rules, and said
    console.text_in("#notice", "Business hours saved.")
    stored = current(stack)
    assert stored["hours"] == "mon-fri 09:00-18:00" and stored["timezone"] == "Asia/Tokyo", stored
    assert stored["holidays"] == ["2026-12-31"] and stored["source"] == "saved" and stored["rev"] == 1, stored
    # AND after a reload the view shows them in words, set here by her, and the editor holds them
    console.driver.refresh()
    console.text_in("#hours-source", "Set here by Mana")
    assert console.all("#hours-source time"), "when they were saved, as a time in the chosen zone"
    console.text_in("#hours-lines", "Monday to Friday: 09:00–18:00")
    console.text_in("#hours-text", "Asia/Tokyo")
    console.text_in("#hours-closed-on", "Dec 31, 2026")
    for day in ("mon", "fri"):
        assert console.find(f"#hours-{day}-0-from").get_attribute("value") == "09:00"
        assert console.find(f"#hours-{day}-0-to").get_attribute("value") == "18:00"
    assert console.find("#hours-sat-mode").get_attribute("value") == "closed"
    assert console.find("#hours-timezone").get_attribute("value") == "Asia/Tokyo"
    assert [e.get_attribute("value") for e in console.all("#hours-holidays input")] == ["2026-12-31"]
    assert not console.unlabelled() and not console.low_contrast()
    scroll_to(console, "#hours-form")
    screenshot("business-hours-saved")
    # WHEN a colleague saves meanwhile, then she saves hers THEN she is told in words; the current ones load and hers
    # can be put back
    status, theirs = stack.call("PUT", "/business-hours", body={
        "hours": "mon-fri 10:00-17:00", "timezone": "Asia/Tokyo", "holidays": [], "rev": 1})
    assert status == 200, theirs
    choose(console, "#hours-sun-mode", "allDay")
    console.find("#hours-save").click()
    console.text_in("#hours-conflict", "Someone else saved the business hours while you were editing")
    assert current(stack)["hours"] == "mon-fri 10:00-17:00"
    console.find("#hours-load-current").click()
    console.wait(lambda d: console.find("#hours-mon-0-from").get_attribute("value") == "10:00", "theirs are loaded")
    assert console.find("#hours-sun-mode").get_attribute("value") == "closed"
    console.find("#hours-put-back").click()
    assert console.find("#hours-sun-mode").get_attribute("value") == "allDay"
    assert console.find("#hours-mon-0-from").get_attribute("value") == "09:00"
    # WHEN a range closes before it opens THEN it is said before anything is sent, on that day
    type_time(console, "#hours-tue-0-to", "08:00")
    console.find("#hours-save").click()
    console.text_in("#hours-error", "Tuesday: a range closes before it opens")
    assert console.find("#hours-tue-0-to").get_attribute("aria-invalid") == "true"
    assert current(stack)["rev"] == 2
    type_time(console, "#hours-tue-0-to", "18:00")
    console.find("#hours-save").click()
    console.text_in("#notice", "Business hours saved.")
    assert current(stack)["hours"] == "mon-fri 09:00-18:00; sun 00:00-24:00"
    # WHEN she chooses "No business hours" and saves THEN every hour counts: saved as none over the operator's, and
    # the away message cannot be turned on, its notice saying to set business hours above
    console.find("label[for=hours-none]").click()
    assert not console.all("#hours-mon-mode")[0].is_displayed()
    console.find("#hours-save").click()
    console.text_in("#notice", "Business hours saved.")
    stored = current(stack)
    assert stored["hours"] is None and stored["source"] == "saved" and stored["open_now"] is None, stored
    console.text_in("#hours-none-set", "No business hours")
    console.text_in("#away-no-hours", "set them above, under Business hours")
    assert not console.find("#away-enabled").is_enabled()
    assert not console.all("#away-open-now")
    screenshot("business-hours-none")
    # AND after a reload it stays so (the API's copy follows within 30 seconds)
    console.driver.refresh()
    console.text_in("#hours-none-set", "No business hours")
    assert console.find("#hours-none").is_selected()


def test_business_hours_read_in_japanese(hours_console):
    console = hours_console
    console.sign_in("manager")
    console.driver.execute_script("localStorage.setItem('st.pref.lang', 'ja')")
    console.driver.get(console.url + "#/away")
    console.driver.refresh()
    console.text_in("#hours-title", "営業時間")
    console.text_in("label[for=hours-none]", "営業時間なし")
    assert console.find("#hours-save").text == "営業時間を保存"


def test_an_agent_has_no_business_hours_editor(hours_console):
    console = hours_console
    console.sign_in("agent")
    console.driver.get(console.url + "#/away")
    console.wait(lambda d: d.execute_script("return location.hash") == "#/work", "#/away redirects an agent")
    assert not console.all("#hours-form")
