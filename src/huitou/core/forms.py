from django import forms
from django.core.exceptions import ValidationError

from .errors import DomainError


def add_domain_error(
    form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's error on the form field it names (or on the form as a whole)."""
    field = (field_map or {}).get(error.field, error.field)
    field = field if field in form.fields else None
    form.add_error(field, ValidationError(error.message, code=error.code))
