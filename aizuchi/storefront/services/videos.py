"""Video links: which URLs are YouTube or Vimeo videos, and how to show them.

Only the two platforms are accepted, by exact host name, and their video ids are checked
strictly, so a stored link can only ever become one of the embeds built here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput

YOUTUBE = "youtube"
VIMEO = "vimeo"

URL_MAX_LENGTH = 2000

VIDEO_URL_REQUIRED = _("Enter the address of a YouTube or Vimeo video.")
VIDEO_URL_INVALID = _(
    "That is not a YouTube or Vimeo video address. Copy the address of the video page, "
    "e.g. https://www.youtube.com/watch?v=… or https://vimeo.com/…"
)

YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
YOUTUBE_SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com"})
VIMEO_PLAYER_HOSTS = frozenset({"player.vimeo.com"})

YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
VIMEO_ID = re.compile(r"[1-9][0-9]{0,11}")
VIMEO_CHANNEL = re.compile(r"[A-Za-z0-9_-]{1,64}")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# youtube.com/<kind>/<id>
YOUTUBE_PATH_KINDS = frozenset({"shorts", "embed", "live", "v"})


@dataclass(frozen=True)
class Video:
    platform: str
    video_id: str

    @property
    def url(self) -> str:
        """The video's own page: where the no-JavaScript placeholder links to."""
        return watch_url(self.platform, self.video_id)


def watch_url(platform: str, video_id: str) -> str:
    if platform == YOUTUBE:
        return f"https://www.youtube.com/watch?v={video_id}"
    return f"https://vimeo.com/{video_id}"


def embed_url(platform: str, video_id: str) -> str:
    """The player, privacy-friendly; media.js builds the same address on click."""
    if platform == YOUTUBE:
        return f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1"
    return f"https://player.vimeo.com/video/{video_id}?autoplay=1&dnt=1"


def _segments(path: str) -> list[str]:
    parts = path.split("/")
    if parts and parts[-1] == "":  # one trailing slash is fine
        parts = parts[:-1]
    return parts[1:] if parts and parts[0] == "" else parts


def _youtube(host: str, path: str, query: str) -> str | None:
    segments = _segments(path)
    if host in YOUTUBE_SHORT_HOSTS:
        return segments[0] if len(segments) == 1 else None
    if segments == ["watch"]:
        values = parse_qs(query).get("v", [])
        return values[0] if len(set(values)) == 1 else None
    if len(segments) == 2 and segments[0] in YOUTUBE_PATH_KINDS:
        return segments[1]
    return None


def _vimeo(host: str, path: str) -> str | None:
    segments = _segments(path)
    if host in VIMEO_PLAYER_HOSTS:
        return segments[1] if len(segments) == 2 and segments[0] == "video" else None
    if len(segments) == 1:
        return segments[0]
    if len(segments) == 3 and segments[0] == "channels" and VIMEO_CHANNEL.fullmatch(segments[1]):
        return segments[2]
    return None


def parse_video_url(url: str) -> Video:
    """The platform and id of a YouTube or Vimeo video address.

    Raises ``InvalidInput({"url": [...]})`` for anything else, whatever the text.
    """
    url = (url or "").strip()
    if not url:
        raise InvalidInput({"url": [VIDEO_URL_REQUIRED]})
    if len(url) > URL_MAX_LENGTH or not url.isprintable() or not url.isascii():
        raise InvalidInput({"url": [VIDEO_URL_INVALID]})
    if not SCHEME.match(url):  # "youtu.be/…" pasted without https://
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        raise InvalidInput({"url": [VIDEO_URL_INVALID]}) from None
    if (
        parts.scheme.lower() not in ("https", "http")
        or parts.username is not None
        or parts.password is not None
        or port not in (None, 80, 443)
    ):
        raise InvalidInput({"url": [VIDEO_URL_INVALID]})

    if host in YOUTUBE_HOSTS or host in YOUTUBE_SHORT_HOSTS:
        video_id = _youtube(host, parts.path, parts.query)
        if video_id is not None and YOUTUBE_ID.fullmatch(video_id):
            return Video(YOUTUBE, video_id)
    elif host in VIMEO_HOSTS or host in VIMEO_PLAYER_HOSTS:
        video_id = _vimeo(host, parts.path)
        if video_id is not None and VIMEO_ID.fullmatch(video_id):
            return Video(VIMEO, video_id)
    raise InvalidInput({"url": [VIDEO_URL_INVALID]})
