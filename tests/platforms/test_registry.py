"""The adapter registry: every platform route loads, and every secret an adapter reads is documented."""

import pytest

from chalicelib.errors import NotFound
from chalicelib.platforms import REGISTRY, PlatformAdapter, get_adapter
from support import ROOT


@pytest.mark.parametrize("route", sorted(REGISTRY))
def test_each_registered_adapter_loads_under_its_route(route):
    adapter = get_adapter(route)
    assert isinstance(adapter, PlatformAdapter) and adapter.route == route
    assert get_adapter(route) is adapter  # one instance per container


def test_every_secret_an_adapter_reads_is_in_the_readme_ssm_table():
    readme = (ROOT / "README.md").read_text()
    for route in REGISTRY:
        for name in get_adapter(route).secret_names:
            assert f"| `{name}` |" in readme, f"{name} ({route}) is not documented"


def test_an_unknown_route_is_not_found():
    with pytest.raises(NotFound):
        get_adapter("myspace")
