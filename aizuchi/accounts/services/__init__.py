"""Every change to a person's account goes through these functions."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from aizuchi.core.errors import InvalidInput
from aizuchi.core.models import max_length
from aizuchi.core.names import name_clean

from ..models import LANGUAGE_CODES, User, validate_time_zone
from ..strings import LANGUAGE_UNKNOWN

NICKNAME_MAX = max_length(User, "display_name")


def user_update_profile(*, user: User, display_name: str, time_zone: str, language: str) -> User:
    """Change nickname, time zone and language together; all or nothing."""
    errors: dict[str, list] = {}
    try:
        display_name = name_clean(display_name, max_length=NICKNAME_MAX, required=False)
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
    user.save(update_fields=["display_name", "time_zone", "language"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    if language not in LANGUAGE_CODES:
        raise InvalidInput({"language": [LANGUAGE_UNKNOWN]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
