"""Tests: fast hashing, in-memory e-mail unless a test server asks for files."""

from config import env

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test database lives in a file, so a real server started by a test (a separate
# process) sees exactly what the test wrote.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(env.TEST_SQLITE_PATH)}

AIZUCHI_BILLING = {
    **AIZUCHI_BILLING,  # noqa: F405
    "GATEWAYS": env.PAYMENT_GATEWAYS or ["manual", "test"],
    "ALLOW_SANDBOX": True,
}
