"""Settings, read once per container through one pydantic-settings model, and webhook secrets: environment in
dev, SSM SecureStrings in prod. Tests that change the environment call `get_settings.cache_clear()`
(tests/support.py reset_caches)."""

from __future__ import annotations

import functools
import os
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ApiError


def _empty_is_none(value):
    return None if isinstance(value, str) and not value.strip() else value


Optional = BeforeValidator(_empty_is_none)  # an empty variable means "not set"


def _configured_channels(value):
    """A malformed CHANNELS list is refused when the settings are read, not when GET /channels is."""
    from .domain.channels import parse_configured

    if isinstance(value, str):
        parse_configured(value)
    return value


def _retention_days(days: int) -> int:
    """A period the domain allows, or 0: refused when the settings are read (at start), not at the sweep."""
    from .domain.privacy import check_retention_days

    return check_retention_days(days)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    table_name: str = "social-triage"
    dynamodb_endpoint_url: Annotated[str | None, Optional] = None
    aws_region: str = Field("us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    # prod: secrets live in SSM Parameter Store under this path, e.g. /social-triage/prod/META_APP_SECRET
    secrets_ssm_path: Annotated[str | None, Optional] = None
    secrets_cache_seconds: int = 300
    max_body_bytes: int = 1_048_576
    # per-queue SLA for "open older than SLA" (seconds)
    sla_customer_service: int = 3600
    sla_stance: int = 4 * 3600
    sla_community: int = 24 * 3600
    # the SLAs count business time only (domain.business_hours), e.g. "mon-fri 09:00-18:00"; unset: every hour
    sla_business_hours: Annotated[str | None, Optional] = None
    sla_timezone: str = "UTC"
    sla_holidays: Annotated[str | None, Optional] = None  # "2026-12-31,2027-01-01": local days closed
    # open messages older than this (seconds) are resolved by the scheduled sweep (reason auto_resolved)
    auto_resolve_customer_service: int = 14 * 86400
    auto_resolve_stance: int = 7 * 86400
    auto_resolve_community: int = 7 * 86400
    # a customer message reopens its resolved conversation within this many seconds of the resolve (then it
    # starts a new one); like a helpdesk's solved-to-closed delay
    conversation_reopen_seconds: int = 4 * 86400
    # retention (domain.privacy): the content of conversations closed (resolved or removed) longer ago than this
    # many days is erased by the scheduled sweep; unset or 0 keeps it for ever (the default)
    retention_days: Annotated[int, BeforeValidator(lambda v: 0 if _empty_is_none(v) is None else v),
                              AfterValidator(_retention_days)] = 0
    # outbound events (chalicelib/events): the stage's EventBridge bus, the dead-letter queue of what could not
    # be published, and whether events carry the message text and author (only for trusted consumers)
    event_bus_name: str = "social-triage"
    events_dead_letter_queue_url: str | None = None
    events_include_text: bool = False
    # the classifier: another artifact, another needs_review threshold (empty: the artifact's own)
    triage_model_path: Annotated[str | None, Optional] = None
    triage_review_threshold: Annotated[float | None, Optional] = None
    # CORS is off unless an origin is configured; `chalice package` turns it into API Gateway OPTIONS methods
    cors_origin: Annotated[str | None, Optional] = None
    # replies (chalicelib/platforms/send): the platforms' API roots (`make run` and the tests point them at
    # local/fake_platforms.py), and the longest one send may take, connecting and reading together (seconds)
    graph_api_base: str = "https://graph.facebook.com/v21.0"
    x_api_base: str = "https://api.x.com"
    telegram_api_base: str = "https://api.telegram.org"
    send_timeout_seconds: float = Field(10.0, gt=0, le=25)  # API Gateway gives a route 29 s in all
    # X's longest post by its weighted count: 280, more for an account whose X subscription allows longer posts
    x_post_max_weight: int = Field(280, ge=1, le=25_000)
    # channel health (GET /channels): the channels to list even before anything was recorded for them
    # ("facebook:1234,whatsapp:5678": platform and account, comma-separated), and how long a channel may go
    # without a webhook before it is flagged silent (seconds)
    channels: Annotated[str | None, BeforeValidator(_configured_channels), Optional] = None
    channel_silence_seconds: int = Field(86_400, gt=0)
    powertools_service_name: str = "social-triage"
    powertools_metrics_namespace: str = "SocialTriage"
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                         BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v)] = "INFO"


    @model_validator(mode="after")
    def _business_hours_parse(self) -> "Settings":
        self.sla_schedule()  # refused when the settings are read (at start), not at the first stats read
        return self

    def sla_schedule(self):
        """The SLA's business hours (domain.business_hours.Schedule), or None: every hour counts."""
        if self.sla_business_hours is None:
            return None
        from .domain.business_hours import parse  # only where a schedule is set

        return parse(self.sla_business_hours, self.sla_timezone, self.sla_holidays)

    def sla_seconds(self, queue: str) -> int:
        return getattr(self, f"sla_{queue}")


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings, read from the environment on first use."""
    return Settings()


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
