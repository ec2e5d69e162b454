"""Webhook secrets: SSM SecureStrings in prod (cached per container), the environment in dev, 503 when missing."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib import config
from chalicelib.config import SecretNotConfigured, SecretsUnavailable, get_secret
from support import reset_caches

ROOT = Path(__file__).resolve().parents[1]
PROD_PATH = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["environment_variables"][
    "SECRETS_SSM_PATH"]


@pytest.fixture
def aws_calls(monkeypatch):
    """Every AWS API call made through botocore, as (service, operation, params)."""
    calls = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append((self.meta.service_model.service_name, operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


def ssm_reads(calls) -> list[dict]:
    return [params for service, operation, params in calls if service == "ssm" and operation == "GetParameter"]


def clear_secret_cache():
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()


@pytest.fixture
def prod(table, monkeypatch):
    """Prod mode (SECRETS_SSM_PATH as .chalice/config.json sets it) over moto's SSM; yields an SSM client."""
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("SECRETS_SSM_PATH", PROD_PATH)
    reset_caches()
    clear_secret_cache()
    yield boto3.client("ssm", region_name="us-east-1")
    clear_secret_cache()


def put_secret(ssm, name: str, value: str) -> None:
    ssm.put_parameter(Name=f"{PROD_PATH}/{name}", Value=value, Type="SecureString", Overwrite=True)


def test_prod_reads_the_secure_string_from_ssm(prod, aws_calls):
    put_secret(prod, "META_APP_SECRET", "from-ssm")
    assert get_secret("META_APP_SECRET") == "from-ssm"  # not the environment's value (meta-app-secret)
    assert ssm_reads(aws_calls) == [{"Name": f"{PROD_PATH}/META_APP_SECRET", "WithDecryption": True}]


def test_prod_caches_the_secret_per_container(prod, aws_calls):
    put_secret(prod, "X_CONSUMER_SECRET", "first")
    assert get_secret("X_CONSUMER_SECRET") == "first"
    put_secret(prod, "X_CONSUMER_SECRET", "rotated")
    assert get_secret("X_CONSUMER_SECRET") == "first"  # served from the cache: SSM is not asked again
    assert len(ssm_reads(aws_calls)) == 1


def test_a_rotated_secret_is_read_once_the_cache_expires(prod, aws_calls, monkeypatch):
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "0")  # every read expires at once
    reset_caches()
    put_secret(prod, "TELEGRAM_SECRET_TOKEN", "first")
    assert get_secret("TELEGRAM_SECRET_TOKEN") == "first"
    put_secret(prod, "TELEGRAM_SECRET_TOKEN", "rotated")
    assert get_secret("TELEGRAM_SECRET_TOKEN") == "rotated"
    assert len(ssm_reads(aws_calls)) == 2


def test_dev_reads_the_environment_and_never_ssm(table, aws_calls, monkeypatch):
    monkeypatch.delenv("SECRETS_SSM_PATH", raising=False)
    reset_caches()
    monkeypatch.setenv("GENERIC_WEBHOOK_SECRET", "from-env")
    assert get_secret("GENERIC_WEBHOOK_SECRET") == "from-env"
    assert ssm_reads(aws_calls) == []


def test_a_secret_missing_from_ssm_is_503_not_configured(prod, aws_calls):
    with pytest.raises(SecretNotConfigured) as raised:
        get_secret("META_APP_SECRET")
    assert raised.value.status == 503
    assert raised.value.body() == {"error": {"code": "not_configured",
                                             "message": "META_APP_SECRET is not configured on this deployment"}}
    assert len(ssm_reads(aws_calls)) == 1


def test_a_secret_missing_from_the_environment_is_503_not_configured(table, monkeypatch):
    monkeypatch.delenv("SECRETS_SSM_PATH", raising=False)
    reset_caches()
    monkeypatch.delenv("META_VERIFY_TOKEN", raising=False)
    with pytest.raises(SecretNotConfigured) as raised:
        get_secret("META_VERIFY_TOKEN")
    assert (raised.value.status, raised.value.code) == (503, "not_configured")


def test_an_unreadable_secret_store_is_503_with_retry_after(prod, monkeypatch):
    original = botocore.client.BaseClient._make_api_call

    def denied(self, operation_name, api_params):
        if operation_name == "GetParameter":
            raise ClientError({"Error": {"Code": "AccessDeniedException",
                                         "Message": "arn:aws:iam::123456789012:role/x is not authorized"}},
                              operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", denied)
    with pytest.raises(SecretsUnavailable) as raised:
        get_secret("META_APP_SECRET")
    error = raised.value
    assert (error.status, error.code, error.headers) == (503, "secrets_unavailable", {"Retry-After": "5"})
    assert "123456789012" not in error.message and PROD_PATH not in error.message


def test_the_prod_stage_answers_from_ssm_and_503_when_a_secret_is_missing(prod):
    """End to end through the prod stage's configuration in .chalice/config.json."""
    from chalice.test import Client

    from app import app

    put_secret(prod, "META_VERIFY_TOKEN", "ssm-verify-token")
    with Client(app, stage_name="prod", project_dir=str(ROOT)) as client:
        ok = client.http.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=ssm-verify-token&hub.challenge=42")
        assert (ok.status_code, ok.body) == (200, b"42")
        missing = client.http.get("/webhooks/x?crc_token=abc")  # X_CONSUMER_SECRET is not in SSM
        assert missing.status_code == 503
        assert json.loads(missing.body)["error"]["code"] == "not_configured"


def test_settings_are_read_once_per_container(monkeypatch):
    reset_caches()
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "7")
    first = config.get_settings()
    monkeypatch.setenv("SECRETS_CACHE_SECONDS", "8")
    assert config.get_settings() is first and first.secrets_cache_seconds == 7
    reset_caches()  # a new container
    assert config.get_settings().secrets_cache_seconds == 8
    reset_caches()


def test_every_variable_is_read_through_the_settings_model(monkeypatch):
    for name, value in {"TRIAGE_REVIEW_THRESHOLD": "0.4", "TRIAGE_MODEL_PATH": "/tmp/m.bin", "LOG_LEVEL": "debug",
                        "CORS_ORIGIN": "https://inbox.example.com", "AWS_REGION": "eu-west-1",
                        "POWERTOOLS_SERVICE_NAME": "svc", "POWERTOOLS_METRICS_NAMESPACE": "Ns"}.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    settings = config.get_settings()
    assert (settings.triage_review_threshold, settings.triage_model_path, settings.log_level, settings.cors_origin,
            settings.aws_region, settings.powertools_service_name, settings.powertools_metrics_namespace) == (
        0.4, "/tmp/m.bin", "DEBUG", "https://inbox.example.com", "eu-west-1", "svc", "Ns")
    monkeypatch.setenv("TRIAGE_REVIEW_THRESHOLD", "")  # empty: not set (the model artifact's own threshold)
    reset_caches()
    assert config.get_settings().triage_review_threshold is None
    reset_caches()


def test_the_runtime_reads_no_variable_but_through_the_settings_model():
    """os.environ is read only by config.py: the settings model, and dev secrets (SSM in prod)."""
    import ast

    readers = []
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                readers.append(path.relative_to(ROOT).as_posix())
    assert set(readers) == {"chalicelib/config.py"}, readers


def test_retention_is_kept_for_ever_unless_set_and_a_bad_period_stops_the_function_at_start(monkeypatch):
    from pydantic import ValidationError

    # GIVEN no RETENTION_DAYS, or an empty one: everything is kept
    for unset in (None, "", "0"):
        if unset is None:
            monkeypatch.delenv("RETENTION_DAYS", raising=False)
        else:
            monkeypatch.setenv("RETENTION_DAYS", unset)
        reset_caches()
        assert config.get_settings().retention_days == 0
    monkeypatch.setenv("RETENTION_DAYS", "365")
    reset_caches()
    assert config.get_settings().retention_days == 365
    # WHEN it is outside 30..3650, or not a number THEN the settings are refused when first read (at start)
    for bad in ("7", "-30", "36500", "a year"):
        monkeypatch.setenv("RETENTION_DAYS", bad)
        reset_caches()
        with pytest.raises(ValidationError, match="retention_days"):
            config.get_settings()
    monkeypatch.delenv("RETENTION_DAYS")
    reset_caches()
