"""The one NinjaAPI: /api/v1, bearer tokens or a logged-in session, JSON errors.

Every error under /api/ is JSON {"detail": ...}: the exception handlers below cover the API's
own operations, ApiErrorMiddleware the rest (unknown paths, 405, errors outside the API), and
the OpenAPI schema documents each error status an operation can answer.
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from huitou.accounts.api import router as accounts_router
from huitou.accounts.services import access_user_by_token
from huitou.chat.api import router as chat_router
from huitou.complaints.api import router as complaints_router
from huitou.core.api import router as notifications_router
from huitou.core.errors import DomainError
from huitou.core.schemas import ErrorOut
from huitou.customers.api import router as customers_router
from huitou.knowledge.api import router as bot_router
from huitou.mail.api import router as mail_router
from huitou.quality.api import router as quality_router
from huitou.sla.api import router as sla_router
from huitou.surveys.api import router as surveys_router
from huitou.tickets.api import phrases_router
from huitou.tickets.api import router as tickets_router

logger = logging.getLogger("huitou.api")


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = access_user_by_token(token, request=request)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """A logged-in browser session; its writes need the CSRF token. Without a session the
    request is simply unauthenticated (401), not a CSRF failure."""

    def _get_key(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


class UnsupportedMediaType(HttpError):
    def __init__(self):
        super().__init__(415, "Content-Type must be application/json")


class JsonParser(Parser):
    """JSON bodies only: a text/plain or form post (what a cross-site form can send) is 415."""

    def parse_body(self, request: HttpRequest):
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType()
        return super().parse_body(request)


ERROR_DESCRIPTIONS = {
    400: "Bad request (a body that is not valid JSON)",
    401: "Unauthorized: no or an unknown token and no session",
    403: "Forbidden: the role may not do this, or a session write without the CSRF token",
    404: "Not found, or not visible to this user",
    409: "Conflict with the current state (e.g. an illegal transition)",
    413: "Request body too large",
    415: "Content-Type must be application/json",
    422: "Invalid input; detail names the fields",
    429: "Too many requests or a locked-out client; retry after Retry-After seconds",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def error_codes(method: str, path: str, operation: dict) -> list[int]:
    """The error statuses an operation can answer (documented in the OpenAPI schema)."""
    codes = [429]
    has_input = bool(operation.get("parameters")) or "requestBody" in operation
    if operation.get("security"):
        codes += [401, 403]
    if "{" in path or (has_input and operation.get("security")):
        codes.append(404)
    if method in WRITE_METHODS:
        codes += [409, 422]
    elif has_input:
        codes.append(422)
    body = operation.get("requestBody", {}).get("content", {})
    if body:
        codes.append(413)
    if "application/json" in body:
        codes += [400, 415]
    return sorted(set(codes))


class HuitouAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in error_codes(method, path, operation):
                    responses.setdefault(
                        code, {"description": ERROR_DESCRIPTIONS[code], "content": content}
                    )
        return schema


api = HuitouAPI(
    title="回头 Huitou API",
    version="1",
    description=(
        "客服系统 REST API。认证：`Authorization: Bearer <token>`"
        "（令牌由 `huitou token create USERNAME` 生成）。"
    ),
    auth=[BearerTokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=JsonParser(),
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    if exc.field:
        detail = [{"loc": ["body", "payload", exc.field], "msg": exc.message, "type": exc.code}]
    else:
        detail = exc.message
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "Permission denied"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": str(exc) or "Not Found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc: AuthenticationError):
    return api.create_response(request, {"detail": "Unauthorized"}, status=401)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    cause = exc.__cause__  # ninja wraps what the parser raised in a 400
    if isinstance(cause, HttpError):
        exc = cause
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc: RequestDataTooBig):
    return api.create_response(request, {"detail": "Request body too large"}, status=413)


@api.exception_handler(SuspiciousOperation)
def suspicious(request, exc: SuspiciousOperation):
    return api.create_response(request, {"detail": "Bad request"}, status=400)


@api.exception_handler(DjangoValidationError)
def django_validation_error(request, exc: DjangoValidationError):
    return api.create_response(request, {"detail": "; ".join(exc.messages)}, status=422)


@api.exception_handler(Exception)
def server_error(request, exc: Exception):
    # Logged with its traceback; the client gets JSON and no traceback.
    logger.exception("Internal Server Error: %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "Internal server error"}, status=500)


@api.exception_handler(OverflowError)
def overflow(request, exc: OverflowError):
    # Numbers beyond the database's range (e.g. ?offset=9223372036854775808).
    return api.create_response(request, {"detail": "Number out of range"}, status=422)


def _register_routers() -> None:
    api.add_router("/", accounts_router)
    api.add_router("/customers", customers_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/complaints", complaints_router)
    api.add_router("/phrases", phrases_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/sla", sla_router)
    api.add_router("/bot", bot_router)
    api.add_router("/mail", mail_router)
    api.add_router("/chat", chat_router)
    api.add_router("/quality", quality_router)
    api.add_router("/", surveys_router)  # /surveys, /satisfaction


_register_routers()


class ApiErrorMiddleware:
    """Under /api/: an error answered outside the API's handlers (an unknown path, 405, a
    413 or 500 from Django) becomes JSON {"detail": ...} with the same status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = JsonResponse(
                {"detail": response.reason_phrase}, status=response.status_code
            )
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse({"detail": "Request body too large"}, status=413)
        if isinstance(exception, SuspiciousOperation):
            return JsonResponse({"detail": "Bad request"}, status=400)
        logger.exception("Internal Server Error: %s %s", request.method, request.path)
        return JsonResponse({"detail": "Internal server error"}, status=500)
