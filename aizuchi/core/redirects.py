"""Where a form may send the browser next: the one check of a user-supplied ``next``.

A ``next`` (or any "back to" value) comes from the browser, so it is anything: a URL
name-like word (``-1``), another site (``//evil.example``), a scheme (``javascript:``),
control characters or 100,000 of them. Only a path on this site is followed; everything
else falls back to a page the view names.
"""

from __future__ import annotations

import unicodedata

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

# Longer than any page of ours with its query; a longer value is not one of our links.
LOCAL_PATH_MAX = 2048


def local_path(request: HttpRequest, value: object) -> str | None:
    """``value`` when it is a path on this site (``/…``, not ``//…``), else None."""
    if not isinstance(value, str) or not 1 <= len(value) <= LOCAL_PATH_MAX:
        return None
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    # Control and format characters (line breaks, NUL, bidi overrides) have no place in
    # our links, and browsers read some of them in surprising ways.
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in value):
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return value


def redirect_local(request: HttpRequest, value: object, *, fallback: str) -> HttpResponseRedirect:
    """Redirect to ``value`` if it is a path on this site, else to ``fallback`` (a URL the
    view built, e.g. with ``reverse``)."""
    return HttpResponseRedirect(local_path(request, value) or fallback)
