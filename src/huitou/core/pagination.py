from django.core.paginator import Page, Paginator
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

PAGE_SIZE = 25
API_MAX_LIMIT = 200


def paginate_queryset(request, queryset, *, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class ApiPagination(LimitOffsetPagination):
    """limit/offset with bounds, so absurd values are a 422, not a database error."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=API_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=10**9)

    def __init__(self, **kwargs):
        super().__init__(max_limit=API_MAX_LIMIT, **kwargs)
