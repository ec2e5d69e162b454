"""Outbound events: every triage and queue change, and spikes, on the stage's EventBridge bus.

    schema.py     the event models, their JSON Schema and EventBridge entries
    derive.py     events from a table stream record (a pure function of the old and new images)
    publisher.py  the stream handler: PutEvents in batches, retries, the dead-letter queue
    spikes.py     the scheduled spike detection (a marker item per category and hour)
    redrive.py    the dead-letter queue back onto the bus
"""
