from django import forms

from .errors import InvalidInput


def add_service_errors(form: forms.Form, exc: InvalidInput) -> None:
    """Show a service's field-level refusal on the form that collected the input."""
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
