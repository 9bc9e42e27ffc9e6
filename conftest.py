"""Fixtures shared by every test in the repository."""

from __future__ import annotations

import pytest

from aizuchi.core.testing import AsgiServer


@pytest.fixture(autouse=True)
def _default_categories(request):
    """Built-in rows from data migrations, restored after transactional tests flush them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from aizuchi.storefront.categories import ensure_default_categories
    from aizuchi.storefront.models import Category

    ensure_default_categories(Category)


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
