"""The console in a real headless Chromium (Debian's chromium and chromedriver, driven by Selenium; nothing
downloads a browser), against the stack `make run` starts (local/run.py: the embedded moto server and the
local API server) on a free port, in a subprocess. One stack, one browser and one set of seeded messages
serve the whole session; each test starts from a blank tab (storage cleared, 1280x800, English).

Without chromium, chromedriver, selenium or a built console (`make console`) the tests skip, unless
REQUIRE_BROWSER_TESTS=1 (CI: .ci/run), where they fail instead. Screenshots go to a temporary folder (each
path is printed); UPDATE_DOCS_SCREENSHOTS=1 also copies the agent and manager views to docs/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import payloads
from support import ROOT, TEST_ENV

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
DIST = ROOT / "chalicelib" / "console_dist" / "manifest.json"
REQUIRED = os.environ.get("REQUIRE_BROWSER_TESTS") == "1"
WAIT = 20  # seconds any one condition may take to come true on a loaded 2-core machine
XSS_TEXT = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> please check my order'
XSS_AUTHOR = '<script>window.__xss=3</script><img src=x onerror="window.__xss=4">'


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    if not DIST.exists():
        return "the console is not built (make console)"
    return None


@pytest.fixture(scope="session", autouse=True)
def browser_prerequisites():
    reason = missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}", pytrace=False)
        pytest.skip(reason)


# the stack ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(base: str, method: str, path: str, key: str | None = None, body=None, headers=None):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    merged = {**({"Authorization": f"Bearer {key}"} if key else {}),
              **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, data=data, method=method, headers=merged),
                                    timeout=30) as response:
            raw = response.read()
            return response.status, dict(response.headers), raw
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Stack:
    base: str
    admin: str
    keys: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    log: Path | None = None  # local.run's output: every request it served
    fake: str = ""  # local.run's fake of the platforms' APIs (local/fake_platforms.py): its control endpoints

    def fake_fail(self, error: str, times: int = 1) -> None:
        """The fake platforms answer their next `times` requests to that error's API with it (POST /_fake/fail)."""
        status, _, raw = request(self.fake, "POST", "/_fake/fail", body={"error": error, "times": times})
        assert status == 200, raw

    def fake_reset(self) -> None:
        """The fake platforms forget what they were asked and the failures still queued (POST /_fake/reset)."""
        status, _, raw = request(self.fake, "POST", "/_fake/reset")
        assert status == 200, raw

    def fake_requests(self) -> list[dict]:
        """What the fake platforms were asked, oldest first (GET /_fake/requests)."""
        status, _, raw = request(self.fake, "GET", "/_fake/requests")
        assert status == 200, raw
        return json.loads(raw)["requests"]

    def table(self):
        """A DynamoDB client of the stack's embedded table and the table's name (local.run prints where it is): for a
        test to set up what no request makes, such as a customer who wrote a day ago."""
        import boto3
        import re

        where = re.search(r"DynamoDB: (http://\S+) \(embedded moto server\), table '([^']+)'", self.log.read_text())
        assert where, self.log.read_text()[-2000:]
        client = boto3.client("dynamodb", endpoint_url=where.group(1), region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        return client, where.group(2)

    def call(self, method: str, path: str, key: str | None = None, body=None):
        status, _, raw = request(self.base, method, path, key if key is not None else self.admin, body)
        return status, (json.loads(raw) if raw else None)

    def issue(self, role: str, name: str, queues=()) -> str:
        status, issued = self.call("POST", "/admin/keys", body={"role": role, "name": name, "queues": list(queues)})
        assert status == 201, issued
        return issued["key"]

    def webhook(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        headers = payloads.meta_headers(body, secret=TEST_ENV["META_APP_SECRET"])
        status, _, raw = request(self.base, "POST", "/webhooks/meta", body=body, headers=headers)
        assert status == 200 and json.loads(raw)["stored"] == 1, raw

    def settled(self, message_id: str) -> dict:
        """The message once the second opinion has re-scored it (local.run does a second or so after it is stored,
        as the deployed function does): until then it may still change under a test (its revision moves, and an
        open one may even move queue), so a claim, an assignment or a re-route made meanwhile may meet a
        concurrent_change."""
        deadline = time.monotonic() + WAIT
        while True:
            status, message = self.call("GET", f"/messages/{message_id}")
            assert status == 200, message
            if "first_opinion" in (message.get("triage") or {}):
                return message
            assert time.monotonic() < deadline, f"the second opinion never re-scored {message_id}"
            time.sleep(0.1)

    def find(self, text: str) -> dict:
        """The stored message with this text (any queue, any status), as an admin sees it."""
        for queue in ("customer_service", "stance", "community"):
            for status in ("open", "claimed", "resolved"):
                _, page = self.call("GET", f"/queues/{queue}/messages?status={status}&limit=100")
                for message in page["messages"]:
                    if message["text"] == text:
                        return message
        raise AssertionError(f"no message {text!r}")


@contextmanager
def running_stack(log_dir: Path, settings: dict[str, str] | None = None):
    """`make run`'s stack (python -m local.run) on a free port, with a known admin key; `settings`: environment
    variables of an operator's deployment (SLA_BUSINESS_HOURS, ...) for a stack of its own."""
    port, fake_port = free_port(), free_port()
    admin = f"st_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    env = {**os.environ, "PORT": str(port), "TRIAGE_BOOTSTRAP_ADMIN_KEY": admin, "PYTHONUNBUFFERED": "1",
           "FAKE_PLATFORMS_PORT": str(fake_port), **(settings or {})}
    env.pop("DYNAMODB_ENDPOINT_URL", None)  # the embedded moto server, as `make run` on a fresh clone
    log_path = log_dir / "run.log"
    with open(log_path, "w") as log:
        # a session of its own: no controlling terminal, so local.run writes the admin key nowhere
        process = subprocess.Popen([sys.executable, "-m", "local.run"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"local.run exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if request(base, "GET", "/health")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"local.run did not answer /health:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield Stack(base, admin, log=log_path, fake=f"http://127.0.0.1:{fake_port}")
    finally:
        # SIGTERM, not Ctrl-C: a shell's background job inherits SIGINT ignored. The embedded DynamoDB is a
        # thread of that process and keeps nothing on disk.
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def staffed_stack(log_dir: Path, settings: dict[str, str] | None = None):
    """A stack of its own (running_stack) with the keys of an agent of customer service, a manager and the admin in
    `keys`, for a view whose settings must not leak into the session's stack."""
    with running_stack(log_dir, settings) as stack:
        stack.keys = {
            "agent": stack.issue("agent", "Aiko (agent)", ["customer_service"]),
            "manager": stack.issue("manager", "Mana (manager)"),
            "admin": stack.admin,
        }
        yield stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The session's stack: every hour is business time (no SLA_BUSINESS_HOURS), as on a fresh clone."""
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def comment(n: int, text: str, author: str = "Dana Reyes") -> dict:
    payload = payloads.page_comment(f"104857600000001_{700000 + n}", text, author_id=f"55500{n:03d}")
    payload["entry"][0]["changes"][0]["value"]["from"]["name"] = author
    return payload


def article(message_id: str) -> str:
    """The selector of a message in the open conversation's timeline."""
    return f'article.message[data-id="{message_id}"]'


def open_conversation(console, conversation: str, queue: str = "customer_service") -> None:
    """Open a conversation by its link and wait for its first message."""
    console.driver.get(console.url + f"#/work/{queue}/{conversation.replace(':', '%3A')}")
    console.find(article(conversation))


def page_text(console) -> str:
    """What the console shows, as text."""
    return console.driver.execute_script("return document.getElementById('app').innerText")


def cell(console, table: str, row: str, column: str) -> str:
    """The text of a table's cell in the row whose text has `row`, under the column headed `column` (the stats' tables
    gain columns as the API counts more)."""
    def read(driver):
        heads = [e.text for e in console.all(f"{table} thead th")]
        found = [r for r in console.all(f"{table} tbody tr") if row in r.text]
        return column in heads and len(found) == 1 and found[0].find_elements("css selector", "th, td")[
            heads.index(column)].text
    return console.wait(read, f"no single row {row!r} with a column {column!r} in {table}")


def scroll_to(console, css: str) -> None:
    """The screenshot shows this part of the page."""
    console.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", css)


def conversation_in_customer_service(stack, text: str, author_id: str, author: str, comment_id: str | None = None) -> str:
    """A new conversation (a top-level page comment) in customer_service, by its id: the model picks the queue, and
    the tests using this are about something else, so one it put elsewhere is moved there."""
    comment_id = comment_id or f"104857600000001_{secrets.randbelow(10 ** 12)}"
    payload = payloads.page_comment(comment_id, text, author_id=author_id)
    payload["entry"][0]["changes"][0]["value"]["from"]["name"] = author
    stack.webhook(payload)
    return settled_in_customer_service(stack, text)


def settled_in_customer_service(stack, text: str) -> str:
    """The conversation whose message reads `text`, once the second opinion has re-scored it (once it has moved it,
    it stays), moved to customer_service when the model put it elsewhere; by its id."""
    found = stack.settled(stack.find(text)["id"])
    if found["queue"] != "customer_service":
        status, body = stack.call("POST", "/conversations/bulk", body={
            "action": "reroute", "conversation_ids": [found["id"]], "queue": "customer_service",
            "reason": "set up for a browser test"})
        assert status == 200 and body["done"] == 1, body
    return found["id"]


CUSTOMER_SERVICE = [
    "My order #4471 never arrived and nobody answers, I want a refund",
    "I was charged twice for the same order, please refund the double charge",
    "The app is down again, I can't log in to my account",
    "Where is my package? Tracking has not moved in a week",
    "注文した商品がまだ届きません。返金してください。",
    "My card was charged twice for one order, I need my money back",
    "Someone hacked my account and placed orders I never made",
    "Your site is down again and I can't log in to pay my bill",
]
STANCE = ["Your CEO's statement on the boycott was disgraceful, I'm done with this brand",
          "Proud that you kept your climate commitments, buying more from you"]
COMMUNITY = ["Who is going to the fan meetup in Osaka next Saturday?", "Great community event yesterday, thanks all"]


@pytest.fixture(scope="session")
def seeded(stack):
    """Keys for each role and messages in every queue: some resolved and one re-routed (so that the stats have
    response times and model accuracy), then one whose text and author name are XSS payloads."""
    stack.keys = {
        "agent": stack.issue("agent", "Aiko (agent)", ["customer_service"]),
        "manager": stack.issue("manager", "Mana (manager)"),
        "admin": stack.admin,
    }
    texts = CUSTOMER_SERVICE + STANCE + COMMUNITY
    for n, text in enumerate(texts):
        stack.webhook(comment(n, text))
    for queue in ("stance", "community"):
        status, claimed = stack.call("POST", f"/queues/{queue}/claim", body={"count": 1})
        assert status == 200 and claimed["claimed"], claimed
        message = claimed["claimed"][0]
        status, _ = stack.call("POST", f"/messages/{message['id']}/resolve", body={"note": "answered"})
        assert status == 200
    status, claimed = stack.call("POST", "/queues/community/claim", body={"count": 1})
    assert status == 200 and claimed["claimed"], claimed
    status, _ = stack.call("POST", f"/messages/{claimed['claimed'][0]['id']}/reroute",
                           body={"queue": "stance", "reason": "about the brand's position"})
    assert status == 200
    stack.webhook(comment(99, XSS_TEXT, author=XSS_AUTHOR))
    stack.ids["xss"] = stack.find(XSS_TEXT)["id"]
    return stack


# the browser ----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def driver(downloads):
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not download a browser or a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,800", "--force-device-scale-factor=1", "--lang=en-US",
                     "--disable-extensions", "--no-first-run", "--password-store=basic"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "intl.accept_languages": "en-US,en",
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def screens(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


DOCS = {"agent": ROOT / "docs" / "console-agent.png", "manager": ROOT / "docs" / "console-manager.png"}


@pytest.fixture
def screenshot(driver, screens, request):
    """screenshot("agent") saves the page as <tmp>/screenshots/agent.png and prints the path."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def save(name: str) -> Path:
        path = screens / f"{name}.png"
        assert driver.save_screenshot(str(path)), path
        line = f"screenshot ({request.node.name}): {path}"
        if reporter:
            reporter.write_line(line)
        else:
            print(line)
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" and name in DOCS:
            DOCS[name].parent.mkdir(exist_ok=True)
            shutil.copyfile(path, DOCS[name])
        return path

    return save


class Console:
    """The console in the session's browser, from a blank tab."""

    def __init__(self, driver, stack):
        self.driver, self.stack = driver, stack
        self.url = f"{stack.base}/console/"

    def wait(self, condition, message: str = ""):
        """The first truthy value of condition(driver); an element replaced meanwhile (the console redraws
        views whole) just means "not yet"."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT, poll_frequency=0.1,
                             ignored_exceptions=[StaleElementReferenceException]).until(condition, message)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.wait(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None),
                         f"nothing visible matches {css}")

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_in(self, css: str, text: str):
        return self.wait(lambda d: next((e for e in self.all(css) if text in e.text), None),
                         f"{text!r} never appeared in {css}")

    def open(self, fragment: str = "") -> None:
        self.driver.get(self.url + fragment)
        self.find("#app > *:not(.loading)")

    def sign_in(self, role: str) -> str:
        from selenium.webdriver.common.keys import Keys

        key = self.stack.keys[role]
        self.open()
        field = self.find("#api-key")
        field.send_keys(key, Keys.ENTER)
        self.find("#sign-out")
        return key

    def storage(self) -> dict[str, dict[str, str]]:
        return self.driver.execute_script(
            "const dump = (s) => Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k)]));"
            "return {local: dump(localStorage), session: dump(sessionStorage)};")

    def requested_urls(self) -> list[str]:
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def unlabelled(self) -> list[str]:
        """Visible controls without an accessible name (a <label>, aria-label(ledby) or, for buttons, text)."""
        return self.driver.execute_script("""
            return [...document.querySelectorAll('input, select, textarea, button, a[href]')]
              .filter((el) => el.getClientRects().length && el.type !== 'hidden')
              .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                || el.getAttribute('aria-labelledby')
                || (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim())))
              .map((el) => el.outerHTML.slice(0, 80));""")

    def low_contrast(self) -> list[str]:
        """Visible text under WCAG AA contrast against its background (4.5:1; 3:1 for large text)."""
        return self.driver.execute_script(CONTRAST_CHECK)

    def console_problems(self) -> list[str]:
        """Errors the page logged: a CSP violation, an exception, a failed script (not the API's 4xx answers,
        which the browser logs as failed loads and the tests cause on purpose)."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry.get("source") != "network"
                and (entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]
                     or "Refused to" in entry["message"])]


CONTRAST_CHECK = """
const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
const parse = (text) => { const m = text.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
  const p = m[1].split(',').map(parseFloat); return { rgb: p.slice(0, 3), alpha: p.length > 3 ? p[3] : 1 }; };
const background = (el) => { for (let e = el; e; e = e.parentElement) {
  const c = parse(getComputedStyle(e).backgroundColor); if (c && c.alpha > 0.5) return c.rgb; } return [255, 255, 255]; };
const low = [];
for (const el of document.querySelectorAll('body *')) {
  if (!el.getClientRects().length || el.closest('.visually-hidden')) continue;
  if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden') continue;
  const [a, b] = [luminance(parse(style.color).rgb), luminance(background(el))].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
  if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}: ${el.textContent.trim().slice(0, 40)}`);
}
return low;
"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call":
        item.call_failed = report.failed


def keep_failure(request, driver, screens, stack) -> None:
    """A failed test's page as it was (CI runs once: this is all there is to go on) and where the stack's log is."""
    if not getattr(request.node, "call_failed", False):
        return
    path = screens / f"FAILED-{request.node.name}.png"
    driver.save_screenshot(str(path))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = f"failed ({request.node.name}): screenshot {path}; stack log {stack.log}"
    if reporter:
        reporter.write_line(line)
    else:
        print(line)


def blank_console(driver, stack, screens, request):
    """The console of `stack` from a blank tab; afterwards, a failure's page kept and the page's errors checked."""
    page = Console(driver, stack)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.set_window_size(1280, 800)
    driver.get(page.url)
    driver.execute_script("localStorage.clear(); sessionStorage.clear();")
    driver.get_log("browser")  # start each test with an empty log
    driver.get_log("performance")
    yield page
    keep_failure(request, driver, screens, stack)
    problems = page.console_problems()
    assert not problems, problems


@pytest.fixture
def console(driver, seeded, screens, request):
    yield from blank_console(driver, seeded, screens, request)


def type_into(console, css: str, text: str) -> None:
    """What a person types into a text box, in place of what it held."""
    box = console.find(css)
    box.clear()
    box.send_keys(text)


def until(condition, what: str):
    """condition()'s first truthy answer, asked again until WAIT runs out."""
    deadline = time.monotonic() + WAIT
    while True:
        answer = condition()
        if answer:
            return answer
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
