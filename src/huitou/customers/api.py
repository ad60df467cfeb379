from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from .selectors import access_customer, customer_list
from .services import do_customer_create, do_customer_update

router = Router(tags=["customers"])

KindName = Literal["individual", "organization"]
TierName = Literal["A", "B", "C", "D"]
StageName = Literal["potential", "target", "current", "lost"]
GenderName = Literal["", "male", "female"]


class CustomerIn(Schema):
    name: str
    phone: str = ""
    email: str = ""
    kind: KindName = "individual"
    tier: TierName = "C"
    stage: StageName = "potential"
    is_internal: bool = False
    gender: GenderName = ""
    city: str = ""
    address: str = ""
    note: str = ""


class CustomerPatch(Schema):
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    kind: KindName | None = None
    tier: TierName | None = None
    stage: StageName | None = None
    is_internal: bool | None = None
    gender: GenderName | None = None
    city: str | None = None
    address: str | None = None
    note: str | None = None


class CustomerOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    phone: str
    email: str
    tier: str
    stage: str
    is_internal: bool
    gender: str
    city: str
    address: str
    note: str
    created_at: datetime
    updated_at: datetime


class CustomerFilters(Schema):
    q: str = ""
    tier: TierName | Literal[""] = ""
    stage: StageName | Literal[""] = ""
    kind: KindName | Literal[""] = ""


@router.get("", response=list[CustomerOut])
@paginate(LimitOffsetPagination)
def customers_list(request, filters: Query[CustomerFilters]):
    return customer_list(user=request.user, **filters.dict())


@router.post("", response={201: CustomerOut})
def customers_create(request, payload: CustomerIn):
    return Status(201, do_customer_create(actor=request.user, **payload.dict()))


@router.get("/{customer_id}", response=CustomerOut)
def customers_get(request, customer_id: int):
    return access_customer(user=request.user, customer_id=customer_id)


@router.patch("/{customer_id}", response=CustomerOut)
def customers_update(request, customer_id: int, payload: CustomerPatch):
    customer = access_customer(user=request.user, customer_id=customer_id)
    # An explicit null clears a text field; for choice fields the service rejects it.
    changes = {k: "" if v is None else v for k, v in payload.dict(exclude_unset=True).items()}
    return do_customer_update(actor=request.user, customer=customer, changes=changes)
