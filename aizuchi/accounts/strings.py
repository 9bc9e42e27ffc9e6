"""Messages raised by the accounts services, kept here so tests can assert them."""

from django.utils.translation import gettext_lazy as _

LANGUAGE_UNKNOWN = _("Choose Japanese or English.")
TERMS_REQUIRED = _("Please agree to the terms of use and the privacy policy to sign up.")
