from django import forms
from django.core.exceptions import ValidationError

from .errors import DomainError

# <input type="date"> and "datetime-local" take and send only these, in every language
# (a localised value such as 2026/12/04 leaves the input empty).
ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """The browser's date picker; use it for every date field a page shows."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; Django's DateTimeField reads its ISO value back."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or ISO_DATETIME)


# Form fields with those widgets (Django reads ISO input in every language).
class DateField(forms.DateField):
    widget = DateInput


class DateTimeField(forms.DateTimeField):
    widget = DateTimeInput


def add_domain_error(
    form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's error on the form field it names (or on the form as a whole)."""
    field = (field_map or {}).get(error.field, error.field)
    field = field if field in form.fields else None
    form.add_error(field, ValidationError(error.message, code=error.code))
