"""The web console: console/ built (`make console`) into chalicelib/console_dist/, served by the API at /console.

The build writes index.html, its assets (flat, content-hashed names) and manifest.json, which names every file
the API may serve with its content type; nothing else in the folder is ever served. The files are read once per
container, on the first console request. The console's own Content-Security-Policy is strict: its scripts and
styles come only from the API's origin (no inline script, no eval), it talks only to the API, it cannot be framed.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import NotFound

DIST = Path(__file__).with_name("console_dist")
INDEX = "index.html"
ASSET_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
# what the build may produce and under which content type; a manifest naming anything else is ignored
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# assets carry their content's hash in their name: a new build is a new URL, so browsers may keep them
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class File:
    body: str
    content_type: str

    def headers(self, cache_control: str) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Security-Policy": CSP, "Cache-Control": cache_control}


@functools.lru_cache(maxsize=4)
def built(dist: Path) -> dict[str, File]:
    """The files the build's manifest names (an unbuilt console raises and is not cached: a later build counts)."""
    try:
        names = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise NotFound("the console is not built: run `make console` (or `make run`, which builds it)",
                       code="console_not_built") from None
    files = {}
    for name in names:
        content_type = CONTENT_TYPES.get(Path(name).suffix) if isinstance(name, str) else None
        if content_type and Path(name).name == name:  # flat names only: nothing outside the folder
            files[name] = File((dist / name).read_text(encoding="utf-8"), content_type)
    if INDEX not in files:
        raise NotFound("the console build has no index.html: run `make console`", code="console_not_built")
    return files


def index(request_path: str) -> File:
    """index.html. Its asset URLs are relative ("./main-<hash>.js"), right for /console/; API Gateway also routes
    /console (no slash) here, where "./" is the parent folder, so that page names them as "./console/..."."""
    page = built(DIST)[INDEX]
    if request_path.endswith("/"):
        return page
    return File(page.body.replace('="./', '="./console/'), page.content_type)


def asset(name: str) -> File:
    """A built asset by its (flat) name; anything the manifest does not name is 404."""
    found = built(DIST).get(name)
    if found is None or name == INDEX:
        raise NotFound(f"no console file {name!r}", code="unknown_asset")
    return found
