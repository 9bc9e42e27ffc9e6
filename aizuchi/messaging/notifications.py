"""The kinds of notification the messaging app sends (registered by its ``AppConfig.ready``).

New messages are not notifications: they have their own badge and e-mail."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register

from .models import MessageReport


def _decision(params: dict) -> dict:
    return {**params, "decision": str(MessageReport.Decision(params["decision"]).label)}


def _note(params: dict) -> dict:
    return {**params, "note": params.get("note") or ""}


KINDS: dict[str, Kind] = {
    "message_report_decided": Kind(
        title=_("Your report was looked at"),
        body=_("Thank you for telling us. Staff looked at the message you reported: %(decision)s."),
        present=_decision,
    ),
    "message_warning": Kind(
        title=_("A message of yours was hidden"),
        body=_(
            "Staff hid a message you sent, after it was reported. Please keep to the rules of "
            "the site; another report can suspend your account. %(note)s"
        ),
        present=_note,
    ),
}


def register() -> None:
    kinds_register(KINDS)
