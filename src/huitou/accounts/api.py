from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from huitou.core.errors import DomainError
from huitou.core.permissions import check_admin
from huitou.core.schemas import ShortName, Text, choices_literal

from .models import Department
from .roles import Role
from .selectors import department_list, user_list
from .services import do_department_create, do_user_create

router = Router(tags=["accounts"])

RoleName = choices_literal(Role)


DepartmentKind = choices_literal(Department.Kind)


class DepartmentIn(Schema):
    name: ShortName
    description: Text(255) = ""
    # 客服中心 receives, answers, dispatches, replies and calls back; 相关责任单位 receive
    # the complaints it dispatches.
    kind: DepartmentKind = "responsible"


class DepartmentOut(Schema):
    id: int
    name: str
    description: str
    kind: DepartmentKind
    kind_label: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class UserIn(Schema):
    username: Text(150)
    password: Text(128)
    role: RoleName
    department: int | None = None
    full_name: Text(150) = ""
    email: Text(254) = ""


class UserOut(Schema):
    id: int
    username: str
    name: str
    role: str | None
    department: int | None
    department_name: str | None = None

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.display_name

    @staticmethod
    def resolve_department(obj) -> int | None:
        return obj.department_id

    @staticmethod
    def resolve_department_name(obj) -> str | None:
        return obj.department.name if obj.department_id else None


@router.get("/departments", response=list[DepartmentOut])
def departments_list(request):
    return list(department_list(user=request.user))


@router.post("/departments", response={201: DepartmentOut})
def departments_create(request, payload: DepartmentIn):
    check_admin(request.user)
    return Status(
        201,
        do_department_create(name=payload.name, description=payload.description, kind=payload.kind),
    )


@router.get("/users", response=list[UserOut])
def users_list(request):
    return list(user_list(user=request.user))


@router.post("/users", response={201: UserOut})
def users_create(request, payload: UserIn):
    check_admin(request.user)
    department = None
    if payload.department is not None:
        department = Department.objects.filter(pk=payload.department).first()
        if department is None:
            raise DomainError(_("部门不存在。"), field="department")
    user = do_user_create(
        username=payload.username,
        password=payload.password,
        role=payload.role,
        department=department,
        full_name=payload.full_name,
        email=payload.email,
    )
    return Status(201, user)


@router.get("/me", response=UserOut)
def me(request):
    return request.user
