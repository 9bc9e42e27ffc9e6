"""Development: `make run` on a laptop."""

from config import env

from .base import *  # noqa: F403

DEBUG = env.env.bool("DJANGO_DEBUG", default=True)
