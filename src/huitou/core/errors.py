"""Domain errors. Services raise these; the API turns them into 4xx JSON, views into messages."""

from django.utils.translation import gettext as _

from .text import has_unsafe_characters


class DomainError(Exception):
    """Bad input or an operation the rules do not allow. `field` names the culprit, if any."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_detail(self) -> list[dict] | str:
        if self.field:
            return [{"loc": ["body", self.field], "msg": self.message, "type": self.code}]
        return self.message


class ConflictError(DomainError):
    """The request is valid but clashes with the current state (e.g. an illegal transition)."""

    status_code = 409


def check_text(value: str, *, field: str, max_length: int | None = None) -> str:
    """Reject text the database would refuse: NUL, lone surrogates and other unsafe
    characters (see core.text), or longer than the column."""
    if has_unsafe_characters(value):
        raise DomainError(_("内容包含无效字符。"), field=field)
    if max_length is not None and len(value) > max_length:
        raise DomainError(
            _("不能超过 %(max)d 个字符。") % {"max": max_length}, field=field, code="too_long"
        )
    return value


def check_choice(value, choices, field: str) -> str:
    """`value` if it is one of the TextChoices `choices`; else a 422 naming `field`."""
    if value not in choices.values:
        raise DomainError(
            _("%(field)s 必须是 %(choices)s 之一。")
            % {"field": field, "choices": ", ".join(str(v) for v in choices.values if v)},
            field=field,
        )
    return value
