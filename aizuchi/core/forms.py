from collections.abc import Callable

from django import forms

from .errors import Conflict, InvalidInput


def add_service_errors(form: forms.Form, exc: InvalidInput) -> None:
    """Show a service's field-level refusal on the form that collected the input."""
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


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
        form.add_error(conflict_field if conflict_field in form.fields else None, exc.message)
    return None
