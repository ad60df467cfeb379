"""Domain errors. Services raise these; the API turns them into 4xx JSON, views into messages."""


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
