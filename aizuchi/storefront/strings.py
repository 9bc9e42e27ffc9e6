from django.utils.translation import gettext_lazy as _

ALREADY_OPEN = _("You already have a storefront.")
NAME_REQUIRED = _("Enter the name callers will see.")
CONCEPT_REQUIRED = _("Enter your concept: one line about who you are.")
UNKNOWN_CATEGORY = _("Choose categories from the list.")
PROVIDER_NOT_FOUND = _("That provider does not exist.")
POST_NOT_FOUND = _("That post does not exist.")
IMAGE_NOT_FOUND = _("That photo does not exist.")
VIDEO_NOT_FOUND = _("That video does not exist.")
