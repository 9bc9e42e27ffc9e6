"""Fixtures shared by every test in the repository."""

from __future__ import annotations

import pytest

from aizuchi.core.testing import AsgiServer


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
