"""Fixtures shared by every test in the repository."""

from __future__ import annotations

import os

import pytest

from aizuchi.core.testing import CHROMIUM_ARGS as BASE_CHROMIUM_ARGS
from aizuchi.core.testing import AsgiServer


def pytest_configure(config):
    # Playwright's sync API keeps an event loop running in the test thread, which makes
    # Django refuse ORM calls there. Browser tests run in their own pytest process
    # (`-m browser`), so only that process relaxes the check.
    if config.getoption("markexpr") == "browser":
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and cached values never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_categories(request):
    """Built-in rows from data migrations, restored after transactional tests flush them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from aizuchi.storefront.models import Category
    from aizuchi.storefront.services.categories import ensure_default_categories

    ensure_default_categories(Category)


@pytest.fixture(scope="session", autouse=True)
def _worker_connections_closed(django_db_setup):
    """Threads that keep connections (sockets, background jobs) let go of them before the
    test database is dropped (PostgreSQL refuses to drop a database in use)."""
    yield
    from aizuchi.core.connections import worker_connections_close

    worker_connections_close()


@pytest.fixture
def user(db):
    from aizuchi.accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from aizuchi.accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real uvicorn process serving the app against the test database."""
    server = AsgiServer(mail_dir=tmp_path_factory.mktemp("server") / "mail")
    with django_db_blocker.unblock():
        server.start()
    yield server
    server.stop()


# --- Browser tests (pytest-playwright driving Debian's chromium) --------------------------
CHROMIUM_ARGS = [
    *BASE_CHROMIUM_ARGS,
    # Voice calls between two pages on this machine: fake microphones, no permission
    # prompt, and peer connections over loopback (the only interface in the test namespace).
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    import shutil

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail(
            "chromium is missing: run scripts/ensure-system-deps (apt-get install chromium)"
        )
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}
