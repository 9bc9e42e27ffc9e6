"""What the customer cards add to other domains' pages (aizuchi.core.sections)."""

from __future__ import annotations


def register() -> None:
    return None
