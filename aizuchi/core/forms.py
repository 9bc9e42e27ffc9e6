import re
import secrets
from collections.abc import Callable

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import Conflict, InvalidInput, Refused
from .names import NAME_REQUIRED, name_clean


def add_service_errors(form: forms.Form, exc: InvalidInput) -> None:
    """Show a service's field-level refusal on the form that collected the input."""
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, str(error))


def submit_form[T](
    form: forms.Form, action: Callable[[dict], T], *, conflict_field: str = "amount_yen"
) -> T | None:
    """Run ``action`` with a valid form's cleaned data and return what it returns.

    None when the form is invalid or the service refused: its field errors go onto the
    form, and a ``Conflict`` onto ``conflict_field`` if the form has it (else the form).
    """
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except InvalidInput as exc:
        add_service_errors(form, exc)
    except Conflict as exc:
        form.add_error(conflict_field if conflict_field in form.fields else None, str(exc.message))
    return None


def act[T](request, action: Callable[[], T], success: Callable[[T], str] | str) -> T | None:
    """Run a button's ``action`` (a POST without a form to show again) and say how it went
    in a flash message: ``success`` (or ``success(result)``), or each reason a service
    refused (``InvalidInput``, ``Conflict``, ``Refused``: every reason). Returns the result,
    or None when refused.
    ``NotFound`` is not caught: another person's object is the 404 page."""
    from django.contrib import messages

    try:
        result = action()
    except InvalidInput as exc:
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, str(error))
    except Conflict as exc:
        messages.error(request, str(exc.message))
    except Refused as exc:
        for reason in exc.reasons:
            messages.error(request, str(reason.message))
    else:
        messages.success(request, success(result) if callable(success) else success)
        return result
    return None


class NameField(forms.CharField):
    """A name other people see, cleaned by ``core.names.name_clean`` (the service that
    saves it cleans it again, the same way)."""

    def __init__(self, *, max_length: int, required_message=NAME_REQUIRED, **kwargs) -> None:
        kwargs.setdefault("error_messages", {}).setdefault("required", required_message)
        self.required_message = required_message
        super().__init__(max_length=max_length, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return name_clean(
            value,
            max_length=self.max_length,
            required=self.required,
            required_message=self.required_message,
        )


# --- forms that move money or take a slot ---------------------------------------------------

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEY_INVALID = _("This form has expired. Reload the page and try again.")


def new_key() -> str:
    return secrets.token_urlsafe(18)


def yen_input(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "step": 1, **attrs})


class KeyedForm(forms.Form):
    """A form whose submission carries its idempotency key.

    The key is a hidden input, so a missing or altered key is an error of the whole form
    (shown above it), not of a field nobody can see.
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not KEY_PATTERN.fullmatch(cleaned.get("idempotency_key") or ""):
            raise forms.ValidationError(KEY_INVALID)
        return cleaned
