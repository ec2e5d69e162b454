"""GET /console and /console/{asset} (chalicelib/console.py): the built console, and only what its manifest
names, under the console's strict Content-Security-Policy; the rest of the API keeps its own."""

from __future__ import annotations

import json

import pytest

from chalicelib import console

PAGE = ('<!doctype html><html><head><link rel="stylesheet" href="./styles-B2.css">'
        '<script type="module" src="./main-A1.js"></script></head><body></body></html>')


@pytest.fixture
def dist(tmp_path, monkeypatch):
    """A build in a folder of its own: what `make console` writes, plus files the API must never serve."""
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "main-A1.js").write_text("console.info('app')")
    (tmp_path / "styles-B2.css").write_text("body{margin:0}")
    (tmp_path / "notes.txt").write_text("not in the manifest")
    (tmp_path / "main-A1.js.map").write_text("{}")
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"files": ["index.html", "main-A1.js", "styles-B2.css", "main-A1.js.map", "../app.py", 7]}))
    monkeypatch.setattr(console, "DIST", tmp_path)
    console.built.cache_clear()
    yield tmp_path
    console.built.cache_clear()


def error_code(response) -> str:
    return json.loads(response.body)["error"]["code"]


def test_the_page_and_its_assets_are_served_under_the_strict_policy(api, dist):
    # WHEN the console is asked for at /console/
    page = api.http.get("/console/")
    # THEN it is the built page, never cached, under the console's policy
    assert page.status_code == 200 and page.body.decode() == PAGE
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Content-Security-Policy"] == console.CSP
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                      "form-action 'none'"):
        assert directive in console.CSP
    assert "unsafe-inline" not in console.CSP and "unsafe-eval" not in console.CSP
    # AND its assets, named by content hash, may be kept by the browser
    script = api.http.get("/console/main-A1.js")
    assert script.status_code == 200 and script.body == b"console.info('app')"
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == console.IMMUTABLE
    assert script.headers["Content-Security-Policy"] == console.CSP
    assert api.http.get("/console/styles-B2.css").headers["Content-Type"] == "text/css; charset=utf-8"


def test_without_the_slash_the_page_names_its_assets_under_console(api, dist):
    # GIVEN /console (API Gateway routes /console/ and /console to the same route)
    body = api.http.get("/console").body.decode()
    # THEN the relative URLs still reach the assets from there
    assert 'src="./console/main-A1.js"' in body and 'href="./console/styles-B2.css"' in body


@pytest.mark.parametrize("name", ["notes.txt", "main-A1.js.map", "manifest.json", "index.html", "app.py", "nope.js"])
def test_only_the_manifests_assets_are_served(api, dist, name):
    # WHEN a file the manifest does not name as an asset is asked for THEN it is 404, in the API's error shape
    response = api.http.get(f"/console/{name}")
    assert response.status_code == 404 and error_code(response) == "unknown_asset"


def test_an_unbuilt_console_says_so_and_a_later_build_is_served(api, tmp_path, monkeypatch):
    # GIVEN no build
    monkeypatch.setattr(console, "DIST", tmp_path / "console_dist")
    console.built.cache_clear()
    # WHEN the console is asked for THEN 404 says how to build it
    response = api.http.get("/console/")
    assert response.status_code == 404 and error_code(response) == "console_not_built"
    assert "make console" in json.loads(response.body)["error"]["message"]
    assert api.http.get("/console/main-A1.js").status_code == 404
    # WHEN it is built afterwards THEN it is served (a missing build is not remembered)
    (tmp_path / "console_dist").mkdir()
    (tmp_path / "console_dist" / "index.html").write_text(PAGE)
    (tmp_path / "console_dist" / "manifest.json").write_text(json.dumps({"files": ["index.html"]}))
    assert api.http.get("/console/").status_code == 200
    console.built.cache_clear()


def test_the_rest_of_the_api_keeps_its_own_policy(api, dist):
    response = api.http.get("/health")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
