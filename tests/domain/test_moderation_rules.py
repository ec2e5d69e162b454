"""domain.moderation: what each platform lets the brand do to a customer's message, who may, and from which state."""

from __future__ import annotations

import pytest

from chalicelib.domain import moderation
from chalicelib.domain.errors import ModerationUnsupported, NotAllowed, WrongStatus
from chalicelib.domain.workflow import Actor

AGENT, MANAGER = Actor("key:agent"), Actor("key:manager", may_override=True)


@pytest.mark.parametrize("platform, channel, offered", [
    ("facebook", "comment", ("hide", "unhide", "delete")),
    ("facebook", "reply", ("hide", "unhide", "delete")),
    ("instagram", "comment", ("hide", "unhide", "delete")),
    ("x", "reply", ("hide", "unhide")),
    ("telegram", "reply", ("delete",)),
    ("facebook", "mention", ()),
    ("facebook", "post", ()),
    ("messenger", "direct_message", ()),
    ("whatsapp", "direct_message", ()),
    ("x", "mention", ()),
    ("x", "direct_message", ()),
    ("telegram", "direct_message", ()),
    ("linkedin", "comment", ()),
])
def test_each_platform_offers_what_its_api_does(platform, channel, offered):
    assert moderation.actions_for(platform, channel) == offered


def test_the_brands_own_messages_are_never_moderated():
    assert moderation.actions_for("facebook", "comment", "outbound") == ()
    with pytest.raises(ModerationUnsupported, match="brand's own"):
        moderation.check_can_moderate("hide", "facebook", "comment", "outbound", MANAGER)


def test_an_action_not_offered_is_refused_and_names_what_is():
    with pytest.raises(ModerationUnsupported, match=r"offered: hide, unhide"):
        moderation.check_can_moderate("delete", "x", "reply", "inbound", MANAGER)
    with pytest.raises(ModerationUnsupported, match="nothing can be moderated"):
        moderation.check_can_moderate("hide", "whatsapp", "direct_message", "inbound", MANAGER)


def test_an_agent_hides_and_unhides_but_only_a_manager_deletes():
    for action in ("hide", "unhide"):
        moderation.check_can_moderate(action, "facebook", "comment", "inbound", AGENT)
    moderation.check_can_moderate("delete", "facebook", "comment", "inbound", MANAGER)
    with pytest.raises(NotAllowed) as refused:
        moderation.check_can_moderate("delete", "facebook", "comment", "inbound", AGENT)
    assert refused.value.code == "delete_not_allowed"


@pytest.mark.parametrize("action, state, after", [
    ("hide", None, "hidden"),
    ("hide", "hidden", None),  # already: nothing to call
    ("unhide", "hidden", "visible"),
    ("delete", None, "deleted"),
    ("delete", "hidden", "deleted"),
    ("delete", "deleted", None),
])
def test_the_state_after_each_action(action, state, after):
    assert moderation.next_state(action, {"state": state} if state else None) == after


@pytest.mark.parametrize("action, state, code", [
    ("unhide", None, "not_hidden"),
    ("hide", "deleted", "already_deleted"),
    ("unhide", "deleted", "already_deleted"),
])
def test_what_cannot_follow_is_refused(action, state, code):
    with pytest.raises(WrongStatus) as refused:
        moderation.next_state(action, {"state": state} if state else None)
    assert refused.value.code == code


@pytest.mark.parametrize("previous, is_member, moved_on, back", [
    ("open", False, False, "open"),
    ("claimed", False, False, "open"),  # held by nobody
    ("resolved", False, False, "resolved"),
    ("open", False, True, "resolved"),  # its thread went on in a conversation opened while it was hidden
    ("in_conversation", True, False, "in_conversation"),
    (None, True, False, "in_conversation"),
])
def test_where_a_hidden_message_goes_when_shown_again(previous, is_member, moved_on, back):
    # GIVEN a message hidden from `previous` WHEN it is shown again THEN it is `back`
    assert moderation.shown_again_as(previous, is_member, moved_on) == back
