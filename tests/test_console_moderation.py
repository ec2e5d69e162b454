"""The console offers the moderation actions the API accepts: its table (console/src/moderation.js) says what
chalicelib/domain/moderation.py says, platform by platform, and the same actions are for managers only."""

from __future__ import annotations

import re

from chalicelib.domain import moderation
from support import ROOT

SOURCE = (ROOT / "console" / "src" / "moderation.js").read_text(encoding="utf-8")


def js_list(text: str) -> list[str]:
    return re.findall(r"'([a-z_]+)'", text)


def js_constant(name: str) -> str:
    match = re.search(rf"export const {name} = (\[[^\]]*\]|\{{[^}}]*\}});", SOURCE)
    assert match, f"console/src/moderation.js has no {name}"
    return match.group(1)


def test_the_consoles_table_is_the_apis():
    entries = re.findall(r"'([a-z]+)/([a-z_]+)': (\[[^\]]*\])", js_constant("SUPPORTED"))
    table = {(platform, channel): js_list(actions) for platform, channel, actions in entries}
    assert table == {key: list(moderation.actions_for(*key)) for key in moderation.SUPPORTED}


def test_the_actions_their_order_and_who_may_delete_are_the_apis():
    assert tuple(js_list(js_constant("ACTIONS"))) == moderation.ACTIONS
    assert frozenset(js_list(js_constant("MANAGER_ONLY"))) == moderation.MANAGER_ONLY
