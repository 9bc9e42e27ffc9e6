from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    OFFLINE = "offline", _("offline")
    OPEN = "open", _("waiting for callers")
    APPOINTMENT = "appointment", _("appointments only")
    IN_SESSION = "in_session", _("in a session")
    AWAY = "away", _("away")


# States in which the provider is at their desk; "online now" in search.
ONLINE_STATES = (State.OPEN, State.APPOINTMENT, State.IN_SESSION)


class Presence(models.Model):
    """Where a provider is right now. One row per provider, written by presence.services."""

    provider = models.OneToOneField(
        "storefront.Provider", on_delete=models.CASCADE, primary_key=True, related_name="presence"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OFFLINE)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state"], name="presence_state")]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.state}"
