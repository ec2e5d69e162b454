"""Channel tokens: the environment in dev (per account, then per platform), SSM SecureStrings in prod."""

from __future__ import annotations

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib.platforms.send import SendFailed, token_for
from chalicelib.platforms.send.tokens import env_names, ssm_names
from support import reset_caches

PROD_PATH = "/social-triage/prod"
PAGE = "104857600000001"


@pytest.fixture
def dev(monkeypatch):
    """Dev mode, with no TRIAGE_TOKEN_* in the environment."""
    import os

    for name in [n for n in os.environ if n.startswith("TRIAGE_TOKEN_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("SECRETS_SSM_PATH", raising=False)
    reset_caches()
    yield monkeypatch
    reset_caches()


@pytest.fixture
def prod(table, monkeypatch):
    """Prod mode over moto's SSM; yields an SSM client."""
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setenv("SECRETS_SSM_PATH", PROD_PATH)
    reset_caches()
    parameters.clear_caches()
    yield boto3.client("ssm", region_name="us-east-1")
    parameters.clear_caches()
    reset_caches()


def put(ssm, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def test_dev_reads_the_accounts_token_first_then_the_platforms(dev):
    # GIVEN a platform-wide token and one for a Page
    dev.setenv("TRIAGE_TOKEN_MESSENGER", "any-page")
    dev.setenv(f"TRIAGE_TOKEN_MESSENGER_{PAGE}", "this-page")
    # THEN the Page's token wins, and another Page falls back to the platform's
    assert token_for("messenger", PAGE) == "this-page"
    assert token_for("messenger", "999") == "any-page"
    assert token_for("messenger", None) == "any-page"


def test_dev_account_names_are_upper_cased_with_underscores():
    assert env_names("telegram", "bot") == ["TRIAGE_TOKEN_TELEGRAM_BOT", "TRIAGE_TOKEN_TELEGRAM"]
    assert env_names("x", "brand.support-1") == ["TRIAGE_TOKEN_X_BRAND_SUPPORT_1", "TRIAGE_TOKEN_X"]
    assert env_names("whatsapp", None) == ["TRIAGE_TOKEN_WHATSAPP"]


def test_tokens_are_per_platform_name(dev):
    # GIVEN only the facebook Page token THEN messenger, sharing the Page, has none of its own
    dev.setenv("TRIAGE_TOKEN_FACEBOOK", "page-token")
    assert token_for("facebook", PAGE) == "page-token"
    with pytest.raises(SendFailed) as failed:
        token_for("messenger", PAGE)
    assert failed.value.kind == "token_missing"
    assert f"TRIAGE_TOKEN_MESSENGER_{PAGE}" in failed.value.message


def test_an_empty_variable_is_no_token_and_surrounding_whitespace_is_dropped(dev):
    dev.setenv("TRIAGE_TOKEN_X_42", " ")
    dev.setenv("TRIAGE_TOKEN_X", "fallback\n")
    assert token_for("x", "42") == "fallback"


def test_prod_reads_the_accounts_secure_string(prod, monkeypatch):
    # GIVEN a token in SSM, and another in the environment (which prod ignores)
    monkeypatch.setenv("TRIAGE_TOKEN_WHATSAPP", "from-env")
    put(prod, f"{PROD_PATH}/tokens/whatsapp/106540352242922", "from-ssm")
    assert token_for("whatsapp", "106540352242922") == "from-ssm"


def test_prod_falls_back_to_the_platforms_parameter(prod):
    put(prod, f"{PROD_PATH}/tokens/telegram", "bot-token\n")  # pasted with its newline
    assert token_for("telegram", "bot") == "bot-token"


def test_prod_paths_keep_ids_and_replace_what_ssm_refuses():
    assert ssm_names("/p/", "x", "Brand:1") == ["/p/tokens/x/Brand_1", "/p/tokens/x"]


def test_a_token_missing_from_ssm_is_token_missing(prod):
    with pytest.raises(SendFailed) as failed:
        token_for("instagram", "17841400000000001")
    assert failed.value.kind == "token_missing"
    assert "tokens/instagram/17841400000000001" in failed.value.message and PROD_PATH not in failed.value.message


def test_an_unreadable_ssm_is_unavailable_and_nothing_is_sent(prod, monkeypatch):
    original = botocore.client.BaseClient._make_api_call

    def throttled(self, operation_name, api_params):
        if operation_name == "GetParameter":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttled)
    with pytest.raises(SendFailed) as failed:
        token_for("x", "42")
    assert (failed.value.kind, failed.value.maybe_sent, failed.value.retry_after) == ("unavailable", False, 5)
