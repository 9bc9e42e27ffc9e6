"""Forms of the reviews part (storefront.reviews holds the rules; these only collect)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.reviews import HIDE_REASON_MAX, REPLY_MAX, REPORT_REASON_MAX, TEXT_MAX

STAR_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("stars"), choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("review"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What was the conversation like? Up to 2000 characters."),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("reply"), max_length=REPLY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=REPORT_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tell the staff what is wrong with this review."),
    )


class ModerationForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=HIDE_REASON_MAX)
