"""Every change to a person's account goes through these functions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from aizuchi.core.errors import InvalidInput
from aizuchi.core.models import max_length
from aizuchi.core.names import name_clean

from ..models import LANGUAGE_CODES, User, validate_time_zone
from ..strings import LANGUAGE_UNKNOWN, TERMS_REQUIRED

NICKNAME_MAX = max_length(User, "display_name")


def user_update_profile(
    *,
    user: User,
    display_name: str,
    time_zone: str,
    language: str,
    email_on_message: bool | None = None,
) -> User:
    """Change nickname, time zone, language (and the e-mail about unread messages)
    together; all or nothing."""
    errors: dict[str, list] = {}
    try:
        display_name = name_clean(display_name, max_length=NICKNAME_MAX, required=True)
    except ValidationError as exc:
        errors["display_name"] = [error.message for error in exc.error_list]
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = list(exc.messages)
    if language not in LANGUAGE_CODES:
        errors["language"] = [LANGUAGE_UNKNOWN]
    if errors:
        raise InvalidInput(errors)

    user.display_name = display_name
    user.time_zone = time_zone
    user.language = language
    fields = ["display_name", "time_zone", "language"]
    if email_on_message is not None:
        user.email_on_message = bool(email_on_message)
        fields.append("email_on_message")
    user.save(update_fields=fields)
    return user


def user_signup_details(*, user: User, display_name: str, accepts_terms: bool) -> User:
    """What sign-up adds to a new, not yet saved account: the nickname others will see and
    the moment the person agreed to the terms of use and the privacy policy."""
    errors: dict[str, list] = {}
    try:
        display_name = name_clean(display_name, max_length=NICKNAME_MAX, required=True)
    except ValidationError as exc:
        errors["display_name"] = [error.message for error in exc.error_list]
    if accepts_terms is not True:
        errors["accept_terms"] = [TERMS_REQUIRED]
    if errors:
        raise InvalidInput(errors)
    user.display_name = display_name
    user.terms_accepted_at = timezone.now()
    return user


def user_first_run(*, user: User, display_name: str, time_zone: str) -> User:
    """The first-run step for an account without a nickname: nickname and time zone."""
    return user_update_profile(
        user=user, display_name=display_name, time_zone=time_zone, language=user.language
    )


def needs_first_run(user) -> bool:
    """A signed-in person others would see without a name."""
    return bool(user.is_authenticated and not user.display_name)


def user_set_language(*, user: User, language: str) -> None:
    if language not in LANGUAGE_CODES:
        raise InvalidInput({"language": [LANGUAGE_UNKNOWN]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def user_suspend(*, user: User, reason: str) -> User:
    """Staff suspend an account (a report upheld): it can no longer sign in, and the
    sessions it had stop counting as signed in (Django's backends refuse inactive users)."""
    if user.suspended_at is None:
        user.suspended_at = timezone.now()
    user.is_active = False
    user.suspended_reason = reason[:500]
    user.save(update_fields=["is_active", "suspended_at", "suspended_reason"])
    return user
