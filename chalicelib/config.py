"""Configuration, read lazily from the environment (Chalice sets `.chalice/config.json` variables
per request under `chalice local`), and webhook secrets: environment in dev, SSM SecureStrings in prod.
"""

from __future__ import annotations

import functools
import os

from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ApiError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    table_name: str = "social-triage"
    dynamodb_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    # prod: secrets live in SSM Parameter Store under this path, e.g. /social-triage/prod/META_APP_SECRET
    secrets_ssm_path: str | None = None
    secrets_cache_seconds: int = 300
    max_body_bytes: int = 1_048_576
    # per-queue SLA for "open older than SLA" (seconds)
    sla_customer_service: int = 3600
    sla_stance: int = 4 * 3600
    sla_community: int = 24 * 3600
    # open messages older than this (seconds) are resolved by the scheduled sweep (reason auto_resolved)
    auto_resolve_customer_service: int = 14 * 86400
    auto_resolve_stance: int = 7 * 86400
    auto_resolve_community: int = 7 * 86400
    # outbound events (chalicelib/events): the stage's EventBridge bus, the dead-letter queue of what could not
    # be published, and whether events carry the message text and author (only for trusted consumers)
    event_bus_name: str = "social-triage"
    events_dead_letter_queue_url: str | None = None
    events_include_text: bool = False


@functools.lru_cache(maxsize=1)
def _settings_for(snapshot: tuple) -> Settings:
    return Settings()


# every variable a setting reads, so that changing any of them (tests, `chalice local`) rebuilds the settings
_SETTINGS_VARIABLES = tuple(name.upper() for name in Settings.model_fields) + ("AWS_DEFAULT_REGION",)


def get_settings() -> Settings:
    """Settings for the current environment; rebuilt only when a relevant variable changes."""
    return _settings_for(tuple(os.environ.get(n) for n in _SETTINGS_VARIABLES))


class SecretNotConfigured(ApiError):
    status, code = 503, "not_configured"


class SecretsUnavailable(ApiError):
    """SSM could not be read (throttled, unreachable, access denied): 503 with Retry-After so platforms redeliver."""

    status, code = 503, "secrets_unavailable"

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message, headers={"Retry-After": str(retry_after)})


def get_secret(name: str) -> str:
    """A webhook secret: from SSM (cached per container) when SECRETS_SSM_PATH is set, else the environment."""
    settings = get_settings()
    if settings.secrets_ssm_path:
        value = _ssm_secret(f"{settings.secrets_ssm_path.rstrip('/')}/{name}", name, settings.secrets_cache_seconds)
    else:
        value = os.environ.get(name)
    if not value:
        raise SecretNotConfigured(f"{name} is not configured on this deployment")
    return value


def _ssm_secret(parameter: str, name: str, max_age: int) -> str | None:
    """A SecureString, decrypted; Powertools caches it for max_age seconds per container (per warm Lambda)."""
    from aws_lambda_powertools.utilities import parameters  # imported only in prod, off the cold path

    try:
        return parameters.get_parameter(parameter, decrypt=True, max_age=max_age)
    except parameters.exceptions.GetParameterError as exc:
        # Powertools wraps the botocore error; its code says whether the parameter is simply missing
        cause = exc.__cause__ or exc.__context__
        code = getattr(cause, "response", {}).get("Error", {}).get("Code", "")
        if code == "ParameterNotFound" or "ParameterNotFound" in str(exc):
            return None
        # neither the parameter path nor AWS's message (account id, ARNs) goes into the response
        raise SecretsUnavailable(f"{name} could not be read from the secret store; retry later") from exc
