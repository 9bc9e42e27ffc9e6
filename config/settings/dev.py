"""Development: `make run` on a laptop."""

from config import env

from .base import *  # noqa: F403

DEBUG = env.env.bool("DJANGO_DEBUG", default=True)

# The fake hosted checkout lets you buy points on a laptop without a real gateway.
AIZUCHI_BILLING = {
    **AIZUCHI_BILLING,  # noqa: F405
    "GATEWAYS": env.PAYMENT_GATEWAYS or ["manual", "test"],
    "ALLOW_SANDBOX": True,
}
