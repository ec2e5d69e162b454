"""The sender registry: one sender per platform family, the same platforms the reply windows allow, documented."""

import pytest

from chalicelib.domain.errors import NoSender
from chalicelib.domain.reply_windows import SENDING_PLATFORMS
from chalicelib.platforms.send import REGISTRY, PlatformSender, get_sender, has_sender
from support import ROOT


@pytest.mark.parametrize("platform", sorted(REGISTRY))
def test_each_platform_has_a_sender_that_says_it_sends_there(platform):
    sender = get_sender(platform)
    assert isinstance(sender, PlatformSender) and platform in sender.platforms
    assert get_sender(platform) is sender and has_sender(platform)  # one instance per container


def test_the_meta_platforms_share_one_sender():
    assert len({id(get_sender(p)) for p in ("facebook", "messenger", "instagram", "whatsapp")}) == 1


def test_the_reply_windows_and_the_registry_agree_on_where_replies_go():
    assert set(REGISTRY) == SENDING_PLATFORMS


def test_a_generic_source_has_no_sender():
    with pytest.raises(NoSender) as refused:
        get_sender("linkedin")
    assert refused.value.code == "no_sender" and not has_sender("linkedin")


def test_every_platform_is_in_the_readme_reply_table():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Replying: channels and tokens"):]
    for platform in REGISTRY:
        assert f"| `{platform}` |" in section, f"{platform} is not in the README's reply table"
