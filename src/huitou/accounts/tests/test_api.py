import pytest

from huitou.accounts.models import Department, User
from huitou.accounts.tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def admin(db):
    return UserFactory(role="admin")


@pytest.mark.django_db
def test_admin_creates_department_and_user(api_as, admin):
    api = api_as(admin)
    response = api.post("departments", {"name": "售后服务部"})
    assert response.status_code == 201
    department = response.json()
    assert set(department) >= {"id", "name"}

    response = api.post(
        "users",
        {
            "username": "li.handler",
            "password": "secret-pass-1",
            "role": "handler",
            "department": department["id"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "li.handler"
    assert body["role"] == "handler"
    assert body["department"] == department["id"]
    assert User.objects.get(username="li.handler").check_password("secret-pass-1")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["agent", "supervisor", "qa", "handler"])
def test_only_admin_may_create_departments_and_users(api_as, role):
    api = api_as(UserFactory(role=role))
    assert api.post("departments", {"name": "物流部"}).status_code == 403
    response = api.post("users", {"username": "x", "password": "secret-pass-1", "role": "agent"})
    assert response.status_code == 403
    assert not Department.objects.filter(name="物流部").exists()
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_user_with_unknown_role_is_rejected_naming_the_field(api_as, admin):
    response = api_as(admin).post(
        "users", {"username": "x", "password": "secret-pass-1", "role": "boss"}
    )
    assert response.status_code == 422
    assert "role" in str(response.json()["detail"])
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_user_with_unknown_department_is_rejected(api_as, admin):
    response = api_as(admin).post(
        "users",
        {"username": "x", "password": "secret-pass-1", "role": "handler", "department": 999},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "department"


@pytest.mark.django_db
def test_duplicate_department_and_username_are_422(api_as, admin):
    DepartmentFactory(name="物流部")
    api = api_as(admin)
    assert api.post("departments", {"name": "物流部"}).status_code == 422
    response = api.post(
        "users", {"username": admin.username, "password": "secret-pass-1", "role": "agent"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "username"


@pytest.mark.django_db
def test_short_password_is_rejected(api_as, admin):
    response = api_as(admin).post("users", {"username": "x", "password": "123", "role": "agent"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "password"


@pytest.mark.django_db
def test_no_token_is_401(client):
    assert client.post("/api/v1/departments", {"name": "x"}).status_code == 401
    assert client.get("/api/v1/users").json() == {"detail": "Unauthorized"}


@pytest.mark.django_db
def test_handler_needs_a_department_and_long_names_are_422(api_as, admin):
    api = api_as(admin)
    response = api.post("users", {"username": "h", "password": "secret-pass-1", "role": "handler"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "department"
    response = api.post(
        "users", {"username": "u" * 151, "password": "secret-pass-1", "role": "agent"}
    )
    assert response.json()["detail"][0]["loc"][-1] == "username"
    response = api.post("departments", {"name": "物流部", "description": "x" * 300})
    assert response.json()["detail"][0]["loc"][-1] == "description"
    assert not User.objects.filter(username="h").exists()
