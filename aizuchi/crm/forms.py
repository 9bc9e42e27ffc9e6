"""Forms of the customer-card pages; the services decide what is valid (their messages
are shown on the fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FUNCTIONS, TIER_LEVELS, TYPES_16, PersonalityModel, Style
from .selectors import SORTS, ListFilters

NUMBER_INVALID = _("Enter a whole number.")


def _tier_choices(names: dict[int, str], blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(level), names[level]) for level in TIER_LEVELS]


def _type_choices() -> list:
    return [
        ("", _("Not set")),
        (_("16 types"), [(code, code) for code in TYPES_16]),
        (_("Leading function"), [(code, label) for code, label in FUNCTIONS.items()]),
    ]


class CardForm(forms.Form):
    personality_model = forms.ChoiceField(
        label=_("Personality model"),
        required=False,
        choices=[("", _("Not set")), *PersonalityModel.choices],
    )
    personality_type = forms.ChoiceField(label=_("Personality type"), required=False)
    style = forms.ChoiceField(
        label=_("Preferred style"), required=False, choices=[("", _("Not set")), *Style.choices]
    )
    tier = forms.TypedChoiceField(label=_("Tier"), required=False, coerce=int, empty_value=None)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas or spaces."),
        widget=forms.TextInput(attrs={"maxlength": 400}),
    )
    mismatch = forms.BooleanField(label=_("Not a good match"), required=False)
    mismatch_session_id = forms.TypedChoiceField(
        label=_("From the session"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, tiers: dict[int, str], sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = _tier_choices(tiers, str(_("Not set")))
        self.fields["personality_type"].choices = _type_choices()
        self.fields["mismatch_session_id"].choices = [("", "—")] + [
            (str(s.pk), f"{s.requested_at:%Y-%m-%d} · {s.get_status_display()}") for s in sessions
        ]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )


class NoteAndTierForm(forms.Form):
    """The one step after hanging up."""

    text = forms.CharField(
        label=_("Note"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )
    tier = forms.TypedChoiceField(label=_("Tier"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, tiers: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = _tier_choices(tiers, str(_("Not set")))


class TierNamesForm(forms.Form):
    def __init__(self, *args, tiers: dict[int, str], **kwargs):
        kwargs.setdefault("initial", {f"tier_{level}": name for level, name in tiers.items()})
        super().__init__(*args, **kwargs)
        for level in TIER_LEVELS:
            self.fields[f"tier_{level}"] = forms.CharField(
                label=_("Tier %(level)d") % {"level": level},
                required=False,
                widget=forms.TextInput(attrs={"maxlength": 20}),
            )


def _whole(label, *, most: int = 10**12) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=most,
        error_messages={"invalid": NUMBER_INVALID},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1, "min": 0}),
    )


class ListFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search names and notes"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "maxlength": 100}),
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    type = forms.ChoiceField(label=_("Personality type"), required=False)
    style = forms.ChoiceField(
        label=_("Preferred style"), required=False, choices=[("", _("All")), *Style.choices]
    )
    audience = forms.ChoiceField(
        label=_("Newcomer or regular"),
        required=False,
        choices=[("", _("All")), ("newcomers", _("Newcomers")), ("regulars", _("Regulars"))],
    )
    seen_within = _whole(_("Seen within (days)"), most=36500)
    not_seen = _whole(_("Not seen for (days)"), most=36500)
    spent_min = _whole(_("Spent at least (yen)"))
    spent_max = _whole(_("Spent at most (yen)"))
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("recent", _("Latest contact")),
            ("oldest", _("Longest since contact")),
            ("spent", _("Most spent")),
            ("sessions", _("Most sessions")),
            ("first", _("Longest known")),
            ("name", _("Name")),
        ],
    )

    def __init__(self, *args, tiers: dict[int, str], tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [
            ("", _("All")),
            *[(str(level), name) for level, name in tiers.items()],
            ("0", _("No tier")),
        ]
        self.fields["tag"].choices = [("", _("All"))] + [(str(t.pk), t.name) for t in tags]
        self.fields["type"].choices = [("", _("All")), *_type_choices()[1:]]

    def filters(self) -> ListFilters:
        """The filters as given (a field that did not validate is left out)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}

        def number(name):
            value = data.get(name)
            return int(value) if value not in (None, "") else None

        sort = data.get("sort") or "recent"
        return ListFilters(
            tier=number("tier"),
            tag_id=number("tag"),
            personality_type=data.get("type") or "",
            style=data.get("style") or "",
            audience=data.get("audience") or "",
            seen_within_days=number("seen_within"),
            not_seen_days=number("not_seen"),
            spent_min=number("spent_min"),
            spent_max=number("spent_max"),
            query=(data.get("q") or "")[:100],
            sort=sort if sort in SORTS else "recent",
        )


class SendAtField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class FollowUpForm(forms.Form):
    """A follow-up to the chosen customers (their ids; the service holds the cap)."""

    customers = forms.MultipleChoiceField(
        label=_("To"), required=False, widget=forms.CheckboxSelectMultiple
    )
    template = forms.CharField(required=False, widget=forms.HiddenInput)
    body = forms.CharField(
        label=_("Message"),
        required=False,
        strip=False,
        help_text=_(
            "Placeholders: {name} the customer's name, {last_session_date} the date of the "
            "last session, {next_free_slot} your next free time, {my_name} your name."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
    )
    send_at = SendAtField(
        label=_("Send at"),
        required=False,
        help_text=_("Leave empty to send now."),
        error_messages={"invalid": _("Enter a date and time.")},
    )

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].choices = [
            (str(view.customer.pk), view.customer.public_name) for view in recipients
        ]


class FollowUpEditForm(forms.Form):
    body = FollowUpForm.base_fields["body"]
    send_at = FollowUpForm.base_fields["send_at"]


class TemplateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": 40})
    )
    body = FollowUpForm.base_fields["body"]
