"""Messages raised by the accounts services, kept here so tests can assert them."""

from django.utils.translation import gettext_lazy as _

NICKNAME_TOO_LONG = _("A nickname can be at most 40 characters.")
LANGUAGE_UNKNOWN = _("Choose Japanese or English.")
