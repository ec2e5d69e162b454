"""The events' JSON Schema: published in the OpenAPI document and served alone; every type has a model."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from chalicelib import openapi
from chalicelib.events import derive, schema
from chalicelib.store.messages import message_item
from support import triaged

ISSUE_TYPES = {"message.triaged", "message.claimed", "message.released", "message.snoozed", "message.resolved",
               "message.rerouted", "message.removed", "reply.sent", "reply.delivery_status", "spike.detected",
               "channel.unhealthy", "note.added", "message.tagged"}


def test_every_type_the_issue_names_has_a_model_with_an_id_a_type_and_a_time():
    assert ISSUE_TYPES <= set(schema.EVENT_TYPES)
    for model in schema.EVENT_MODELS:
        assert {"event_id", "type", "occurred_at", "schema_version"} <= set(model.model_fields)


def test_the_openapi_document_holds_every_event_model_and_their_union():
    components = openapi.document()["components"]["schemas"]
    event = components["Event"]
    assert event["discriminator"]["propertyName"] == "type"
    assert set(event["discriminator"]["mapping"]) == set(schema.EVENT_TYPES)
    for ref in event["discriminator"]["mapping"].values():
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components


def test_the_served_schema_validates_what_the_publisher_sends_and_refuses_what_it_never_sends(api):
    response = api.http.get("/events/schema.json")
    assert response.status_code == 200
    document = json.loads(response.body)
    Draft202012Validator.check_schema(document)
    validator = Draft202012Validator(document)
    event = derive.derive(None, message_item(triaged("s1", "stance")))[0]
    detail = json.loads(schema.entry(event, "bus")["Detail"])
    validator.validate(detail)
    with pytest.raises(Exception):
        validator.validate({**detail, "type": "message.exploded"})
    with pytest.raises(Exception):
        validator.validate({k: v for k, v in detail.items() if k != "event_id"})


def note_event(text: str) -> schema.NoteAdded:
    return schema.NoteAdded(event_id="e1", occurred_at="2026-12-04T10:00:00.000000Z", conversation="facebook:c1",
                            note_id="n1", by="key:0123456789abcdef", text=text)


@pytest.mark.parametrize("character", ["x", "炎", "\x01", "😀", "\""])
def test_a_detail_over_its_budget_keeps_the_longest_beginning_of_its_text_that_fits(character):
    # GIVEN an event whose text, written as JSON, is far over the budget
    event = note_event(character * 5_000)
    budget = 2_000
    # WHEN its detail is fitted
    detail = schema.fitted_detail(event, budget)
    # THEN it fits, names the cut field, and keeps a beginning of the text (whole characters)
    fitted = schema.parse(detail)
    assert len(detail.encode()) <= budget and fitted.truncated == ["text"]
    assert event.text.startswith(fitted.text) and fitted.text
    # AND one more character would not have fitted
    longer = fitted.model_copy(update={"text": event.text[:len(fitted.text) + 1]})
    assert len(longer.model_dump_json(exclude_none=True).encode()) > budget


def test_the_longest_free_text_is_cut_first_and_a_detail_that_fits_is_left_alone():
    # GIVEN a resolution with a long note and a long message text
    event = schema.MessageResolved.model_validate({
        **derive.derive(None, message_item(triaged("r1", "stance", text="t" * 3_000)), include_text=True)[0]
        .model_dump(exclude={"type", "data"}),
        "data": {"note": "n" * 1_000}})
    size = len(event.model_dump_json(exclude_none=True).encode())
    # WHEN the budget is a little under its size, only the longest text (the message's) is cut
    fitted = schema.parse(schema.fitted_detail(event, size - 500))
    assert fitted.truncated == ["text"] and fitted.data.note == "n" * 1_000 and len(fitted.text) < 3_000
    # WHEN the budget leaves room for neither whole, both are cut and named
    fitted = schema.parse(schema.fitted_detail(event, size - 3_500))
    assert fitted.truncated == ["data.note", "text"]
    # AND a detail within its budget is the model's JSON as it is
    assert schema.fitted_detail(event, size) == event.model_dump_json(exclude_none=True)
