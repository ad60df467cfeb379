"""Password rules beyond Django's validators (see AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class VarietyValidator:
    """Refuses passwords of one or two repeated characters ("aaaaaaaaaa", ten spaces, "abababab…")
    and passwords that are only whitespace, which the common-password list does not catch."""

    def __init__(self, min_distinct: int = 4):
        self.min_distinct = min_distinct

    def validate(self, password: str, user=None) -> None:
        if not password.strip() or len(set(password)) < self.min_distinct:
            raise ValidationError(
                _("密码至少要包含 %(count)d 个不同的字符，且不能全是空格。")
                % {"count": self.min_distinct},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码至少要包含 %(count)d 个不同的字符，且不能全是空格。") % {
            "count": self.min_distinct
        }
