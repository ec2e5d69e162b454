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
