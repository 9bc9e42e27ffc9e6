from django.utils.translation import gettext_lazy as _

NOTIFICATION_NOT_FOUND = _("That notification does not exist.")
