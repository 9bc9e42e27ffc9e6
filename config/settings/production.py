"""Production: behind a TLS-terminating proxy; refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from config import env

from .base import *  # noqa: F403

DEBUG = False
if len(env.SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of at least 50 characters.")
SECRET_KEY = env.SECRET_KEY
if not env.ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS (comma-separated host names).")
ALLOWED_HOSTS = env.ALLOWED_HOSTS

# Sign-up confirmations, password resets and invoice reminders are e-mail: a production
# site that cannot send them locks people out.
DEVELOPMENT_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
if not env.EMAIL_URL or env.MAILER["BACKEND"] in DEVELOPMENT_MAIL_BACKENDS:
    raise ImproperlyConfigured(
        "Set EMAIL_URL to the mail server that sends sign-up confirmations, password resets "
        "and reminders, e.g. smtp+tls://user:password@mail.example:587 (console, file and "
        "memory mail are for development only)."
    )

# The test gateway's checkout hands the browser the signed "paid" answer: anyone could
# give themselves points. It never runs here (aizuchi.billing.gateways also refuses any
# sandbox gateway unless AIZUCHI_BILLING["ALLOW_SANDBOX"] is on, as in dev and tests).
if "test" in AIZUCHI_BILLING["GATEWAYS"]:  # noqa: F405
    raise ImproperlyConfigured(
        "AIZUCHI_PAYMENT_GATEWAYS names the test gateway, which lets anyone mark their own "
        "payment as paid. Remove it in production (keep manual, add a real card gateway)."
    )

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

if env.BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
