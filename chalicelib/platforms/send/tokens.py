"""Each channel's token: a (platform, account) pair, e.g. ("messenger", "<page id>").

| where | name, most specific first |
|---|---|
| dev (no `SECRETS_SSM_PATH`) | environment `TRIAGE_TOKEN_<PLATFORM>_<ACCOUNT>`, then `TRIAGE_TOKEN_<PLATFORM>` |
| prod | SSM SecureString `<SECRETS_SSM_PATH>/tokens/<platform>/<account>`, then `<SECRETS_SSM_PATH>/tokens/<platform>` |

In the environment names the account is upper-cased and every character other than A-Z and 0-9 is `_`; in SSM
paths every character other than letters, digits, `_`, `.` and `-` is `_`. Tokens are per platform name even
where Meta shares one: the Page token serves `facebook` and `messenger` (and `instagram` for an account linked
to that Page), so it is stored under each platform that replies with it.
"""

from __future__ import annotations

import re

from ...config import SecretNotConfigured, SecretsUnavailable, _ssm_secret, get_secret, get_settings
from .base import SendFailed

__all__ = ["env_names", "ssm_names", "token_for"]


def token_for(platform: str, account: str | None) -> str:
    """The token to send on `platform` as `account`; SendFailed("token_missing") when none is configured."""
    settings = get_settings()
    if settings.secrets_ssm_path:
        for parameter in ssm_names(settings.secrets_ssm_path, platform, account):
            try:
                value = _ssm_secret(parameter, f"the {platform} token", settings.secrets_cache_seconds)
            except SecretsUnavailable as exc:
                raise SendFailed("unavailable", exc.message, retry_after=5) from None
            if value and value.strip():
                return value.strip()  # a pasted value's trailing newline is not part of a token
        # the parameter's name under the stage's path (the path itself stays out of answers, as for secrets)
        where = f"SSM parameter {ssm_names('', platform, account)[0].lstrip('/')} under the stage's secrets path"
    else:
        for name in env_names(platform, account):
            try:
                value = get_secret(name).strip()  # without SECRETS_SSM_PATH: the environment variable
            except SecretNotConfigured:
                continue
            if value:
                return value
        where = f"environment {env_names(platform, account)[0]}"
    raise _missing(platform, account, where)


def env_names(platform: str, account: str | None) -> list[str]:
    general = f"TRIAGE_TOKEN_{_env_part(platform)}"
    return [f"{general}_{_env_part(account)}", general] if account else [general]


def ssm_names(path: str, platform: str, account: str | None) -> list[str]:
    general = f"{path.rstrip('/')}/tokens/{_ssm_part(platform)}"
    return [f"{general}/{_ssm_part(account)}", general] if account else [general]


def _missing(platform: str, account: str | None, where: str) -> SendFailed:
    channel = f"{platform} account {account}" if account else platform
    return SendFailed("token_missing", f"no token is configured for {channel} (looked up in {where})")


def _env_part(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", value.upper())


def _ssm_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", value)
