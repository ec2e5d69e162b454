"""Triage classifier: routes a message to customer_service, stance or community."""

from .scorer import Triage, TermWeight, TriageModel, classify, get_model

__all__ = ["Triage", "TermWeight", "TriageModel", "classify", "get_model"]
