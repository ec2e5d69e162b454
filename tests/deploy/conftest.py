"""Deploy tests: `chalice package` on the real project (slow; downloads wheels from PyPI)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "deploy: runs `chalice package` on the project (needs PyPI access, ~10 s); deselect with -m 'not deploy'",
    )
