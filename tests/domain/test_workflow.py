"""The message workflow's rules: who may act on a message in which state, snoozes and re-routes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import workflow
from chalicelib.domain.errors import InvalidRequest, NotClaimHolder, SameQueue, UnknownMessage, WrongStatus
from chalicelib.domain.workflow import CLAIMED, OPEN, REMOVED, RESOLVED, Actor

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
AGENT, OTHER, MANAGER = Actor("agent:Cy"), Actor("agent:Bo"), Actor("manager:Max", may_override=True)
LATER = NOW + timedelta(minutes=5)


def test_the_claim_holder_may_act_while_the_lease_lasts():
    # GIVEN a message claimed by the agent until LATER WHEN they act now THEN nothing is refused
    workflow.check_can_act("m", CLAIMED, AGENT.id, LATER, AGENT, NOW)
    # AND once the lease has expired THEN they no longer hold it
    with pytest.raises(NotClaimHolder):
        workflow.check_can_act("m", CLAIMED, AGENT.id, NOW - timedelta(seconds=1), AGENT, NOW)


def test_another_agent_is_refused_and_a_manager_overrides():
    with pytest.raises(NotClaimHolder) as refused:
        workflow.check_can_act("m", CLAIMED, AGENT.id, LATER, OTHER, NOW)
    assert refused.value.code == "not_claim_holder"
    workflow.check_can_act("m", CLAIMED, AGENT.id, LATER, MANAGER, NOW)


@pytest.mark.parametrize("status, error", [(RESOLVED, WrongStatus), (OPEN, WrongStatus), (REMOVED, UnknownMessage)])
def test_a_message_in_the_wrong_state_is_refused_by_reason(status, error):
    with pytest.raises(error):
        workflow.check_can_act("m", status, None, None, MANAGER, NOW)


def test_only_managers_resolve_or_reroute_open_messages():
    assert workflow.resolvable_from(AGENT) == (CLAIMED,)
    assert workflow.resolvable_from(MANAGER) == (CLAIMED, OPEN)
    workflow.check_can_act("m", OPEN, None, None, MANAGER, NOW, workflow.resolvable_from(MANAGER))
    with pytest.raises(WrongStatus):
        workflow.check_can_act("m", OPEN, None, None, AGENT, NOW, workflow.resolvable_from(AGENT))


def test_reroute_needs_another_known_queue():
    workflow.check_reroute("customer_service", "stance")
    with pytest.raises(SameQueue):
        workflow.check_reroute("stance", "stance")
    with pytest.raises(InvalidRequest) as refused:
        workflow.check_reroute("stance", "sales")
    assert refused.value.code == "invalid_queue"


@pytest.mark.parametrize("ahead, ok", [(timedelta(seconds=30), False), (timedelta(minutes=1), True),
                                       (timedelta(days=30), True), (timedelta(days=31), False),
                                       (-timedelta(hours=1), False)])
def test_a_snooze_is_between_a_minute_and_thirty_days_ahead(ahead, ok):
    if ok:
        workflow.check_snooze(NOW + ahead, NOW)
    else:
        with pytest.raises(InvalidRequest):
            workflow.check_snooze(NOW + ahead, NOW)


def test_taking_a_conversation_follows_who_holds_it():
    from chalicelib.domain.workflow import check_can_take

    now = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    aiko, max_ = Actor("agent:Aiko"), Actor("manager:Max", may_override=True)
    live, gone = now + timedelta(minutes=5), now - timedelta(seconds=1)
    assert check_can_take("m", "open", None, None, aiko, now) is True
    assert check_can_take("m", "snoozed", None, None, aiko, now) is True
    assert check_can_take("m", "claimed", "agent:Bo", gone, aiko, now) is True
    assert check_can_take("m", "claimed", "agent:Aiko", live, aiko, now) is False  # hers already
    for actor in (aiko, max_):  # a live lease is its holder's, a manager's request included
        with pytest.raises(WrongStatus):
            check_can_take("m", "claimed", "agent:Bo", live, actor, now)
    with pytest.raises(WrongStatus):
        check_can_take("m", "resolved", None, None, max_, now)
    with pytest.raises(UnknownMessage):
        check_can_take("m", "removed", None, None, max_, now)


class _Person:
    def __init__(self, *queues: str):
        self.queues = queues

    def can_work(self, queue: str) -> bool:
        return queue in self.queues


@pytest.mark.parametrize("status", ["open", "snoozed", "claimed"])
def test_a_manager_assigns_an_active_conversation_to_someone_of_its_queue(status):
    workflow.check_can_assign("m", status, _Person("stance"), "stance", Actor("manager:Max", may_override=True))


def test_assigning_is_refused_to_agents_and_for_nobody_who_may_hold_it():
    from chalicelib.domain.errors import InvalidAssignee

    max_ = Actor("manager:Max", may_override=True)
    with pytest.raises(NotClaimHolder):
        workflow.check_can_assign("m", "open", _Person("stance"), "stance", Actor("agent:Aiko"))
    with pytest.raises(WrongStatus):
        workflow.check_can_assign("m", "resolved", _Person("stance"), "stance", max_)
    with pytest.raises(UnknownMessage):
        workflow.check_can_assign("m", "removed", _Person("stance"), "stance", max_)
    with pytest.raises(InvalidAssignee) as outside:
        workflow.check_can_assign("m", "open", _Person("community"), "stance", max_)
    assert outside.value.code == "assignee_outside_queue"
    with pytest.raises(InvalidAssignee) as nobody:
        workflow.check_can_assign("m", "open", None, "stance", max_)
    assert nobody.value.code == "unknown_assignee"


def test_a_resolved_conversation_may_be_reopened_by_whoever_works_its_queue():
    # GIVEN a resolved conversation: it has no claim holder, so the rule asks only its state
    workflow.check_can_reopen("m", RESOLVED)


@pytest.mark.parametrize("status, error", [(OPEN, WrongStatus), (CLAIMED, WrongStatus), ("snoozed", WrongStatus),
                                           (REMOVED, UnknownMessage)])
def test_any_other_state_is_refused_as_the_other_actions_refuse_it(status, error):
    with pytest.raises(error) as refused:
        workflow.check_can_reopen("m", status)
    assert refused.value.code == ("wrong_status" if error is WrongStatus else "unknown_message")


def test_the_auto_resolve_window_runs_from_the_customers_message_or_a_later_reopen():
    message, reopen = "2026-11-01T09:00:00.000000Z", "2026-11-20T09:00:00.000000Z"
    assert workflow.idle_since(message, None) == message
    assert workflow.idle_since(message, reopen) == reopen
    assert workflow.idle_since(reopen, message) == reopen  # the customer wrote after the reopen
