"""What one person reads (a mail, a message written for them, a notice) is rendered in
their language and with times in their zone, whoever's request or job writes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone, translation


@contextmanager
def as_read_by(person) -> Iterator[None]:
    """Render in ``person``'s language and time zone for the duration of the block."""
    with translation.override(person.language), timezone.override(person.time_zone):
        yield
