from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Provider
from .selectors import category_list


class ProviderOpenForm(forms.Form):
    display_name = forms.CharField(
        label=_("display name"), max_length=Provider._meta.get_field("display_name").max_length
    )
    concept = forms.CharField(
        label=_("concept"),
        max_length=Provider._meta.get_field("concept").max_length,
        help_text=Provider._meta.get_field("concept").help_text,
    )
    categories = forms.MultipleChoiceField(
        label=_("categories"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c.slug, c.name) for c in category_list()]
