"""The one NinjaAPI: /api/v1, bearer tokens or a logged-in session, JSON errors."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from huitou.accounts.services import access_user_by_token
from huitou.core.errors import DomainError


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = access_user_by_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="回头 Huitou API",
    version="1",
    description=(
        "客服系统 REST API。认证：`Authorization: Bearer <token>`"
        "（令牌由 `huitou token create USERNAME` 生成）。"
    ),
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api",
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


@api.exception_handler(OverflowError)
def overflow(request, exc: OverflowError):
    # Numbers beyond the database's range (e.g. ?offset=9223372036854775808).
    return api.create_response(request, {"detail": "Number out of range"}, status=422)


def _register_routers() -> None:
    from huitou.accounts.api import router as accounts_router
    from huitou.complaints.api import router as complaints_router
    from huitou.core.api import router as notifications_router
    from huitou.customers.api import router as customers_router
    from huitou.knowledge.api import router as bot_router
    from huitou.sla.api import router as sla_router
    from huitou.tickets.api import phrases_router
    from huitou.tickets.api import router as tickets_router

    api.add_router("/", accounts_router)
    api.add_router("/customers", customers_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/complaints", complaints_router)
    api.add_router("/phrases", phrases_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/sla", sla_router)
    api.add_router("/bot", bot_router)


_register_routers()
