import factory

from huitou.accounts.models import Department, User
from huitou.accounts.services import do_user_create

DESK_USERNAME = "factory-desk"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """UserFactory(role="handler", department=...) creates the user through the service."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = "test-password-123"
    role = "agent"
    # Handlers must belong to a department.
    department = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == "handler"),
        yes_declaration=factory.SubFactory(DepartmentFactory),
        no_declaration=None,
    )
    full_name = factory.Faker("name", locale="zh_CN")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return do_user_create(check_password_strength=False, **kwargs)


def desk_user() -> User:
    """The user the record factories act as when a test names no actor: one per test (the
    database is rolled back between tests), found again by name after the first. An admin:
    allowed every step, and not one of the supervisors that breaches and major complaints
    notify, so tests counting notifications see only their own users."""
    return User.objects.filter(username=DESK_USERNAME).first() or UserFactory(
        username=DESK_USERNAME, role="admin", full_name="工厂管理员"
    )
