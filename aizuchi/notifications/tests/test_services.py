import pytest
from django.urls import reverse

from aizuchi.core.errors import NotFound
from aizuchi.core.realtime import user_group
from aizuchi.core.testing import pushed_to
from aizuchi.notifications import services
from aizuchi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_send_pushes_only_after_commit_in_the_recipients_language(
    user, django_capture_on_commit_callbacks
):
    user.language = "en"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notification_send(user=user, kind="welcome")
    assert len(callbacks) == 1  # nothing left yet: it waits for the commit
    _, message = pushed_to(user_group(user.pk), callbacks[0])
    assert message["type"] == "notification.created"
    assert message["notification"]["title"] == "Welcome to Aizuchi"
    assert message["unread_count"] == 1


def test_the_unread_count_comes_with_the_insert(
    user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """One statement writes the notification and counts the person's unread ones (their
    own, not yet read, this one included) on both databases."""
    from django.utils import timezone

    from aizuchi.accounts.tests.factories import UserFactory

    someone_else = UserFactory()
    Notification.objects.create(user=user, kind="welcome")
    Notification.objects.create(user=user, kind="welcome")
    Notification.objects.create(user=user, kind="welcome", read_at=timezone.now())
    Notification.objects.create(user=someone_else, kind="welcome")
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(1),
    ):
        sent = services.notification_send(user=user, kind="welcome")
    _, message = pushed_to(user_group(user.pk), callbacks[0])
    assert message["unread_count"] == 3
    assert message["notification"]["id"] == sent.pk
    assert Notification.objects.get(pk=sent.pk).read_at is None


def test_rolled_back_notification_is_never_pushed(user, django_capture_on_commit_callbacks):
    from django.db import transaction

    def send_then_fail():
        with transaction.atomic():
            services.notification_send(user=user, kind="welcome")
            raise RuntimeError("boom")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        send_then_fail()
    assert callbacks == []
    assert not Notification.objects.exists()


def test_text_follows_the_readers_language(user):
    from django.utils import translation

    notification = services.notification_send(
        user=user, kind="provider_opened", params={"display_name": "はるか"}
    )
    with translation.override("ja"):
        assert notification.title == "ストアを開設しました"
        assert "「はるか」" in notification.body
    with translation.override("en"):
        assert notification.title == "Your storefront is open"


def test_nobody_can_read_or_mark_another_persons_notification(client, user, other_user):
    theirs = services.notification_send(user=other_user, kind="welcome")
    with pytest.raises(NotFound):
        services.notification_mark_read(user=user, notification_id=theirs.pk)
    client.force_login(user)
    response = client.post(reverse("notifications:mark_read", args=[theirs.pk]))
    assert response.status_code == 404
    assert "ようこそ" not in client.get(reverse("notifications:inbox")).content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_mark_all(client, user):
    first = services.notification_send(user=user, kind="welcome")
    services.notification_send(
        user=user, kind="provider_opened", params={"display_name": "x"}, url="/providers/"
    )
    client.force_login(user)
    assert client.post(reverse("notifications:mark_read", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_mark_read_never_redirects_off_site(client, user):
    evil = Notification.objects.create(user=user, kind="welcome", url="https://evil.example/")
    client.force_login(user)
    response = client.post(reverse("notifications:mark_read", args=[evil.pk]))
    assert response.url == reverse("notifications:inbox")
