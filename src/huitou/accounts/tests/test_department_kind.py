"""Department.kind and User.is_service_account, and the migration that fills them (issue 11)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from huitou.accounts.models import Department, User
from huitou.knowledge.bot import BOT_USERNAME, bot_user

BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0002_department_kind_service_account")]


@pytest.mark.django_db
def test_the_bot_is_a_service_account_and_people_are_not():
    assert bot_user().is_service_account is True
    assert User.objects.get(username=BOT_USERNAME).is_service_account is True
    User.objects.filter(username=BOT_USERNAME).update(is_service_account=False)
    assert bot_user().is_service_account is True  # a bot made before the flag gets it
    person = User.objects.create_user(username="chen", password="x")
    assert person.is_service_account is False
    assert Department.objects.create(name="物流部").kind == Department.Kind.RESPONSIBLE


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_the_service_centre_and_the_bot():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old.get_model("accounts", "Department").objects.create(name="客服中心")
    old.get_model("accounts", "Department").objects.create(name="售后服务部")
    users = old.get_model("accounts", "User")
    users.objects.create(username=BOT_USERNAME, password="!")
    users.objects.create(username="agent1", password="!")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    try:
        executor.migrate(AFTER)

        kinds = dict(Department.objects.values_list("name", "kind"))
        assert kinds == {"客服中心": "service_centre", "售后服务部": "responsible"}
        flags = dict(User.objects.values_list("username", "is_service_account"))
        assert flags == {BOT_USERNAME: True, "agent1": False}
    finally:
        # Going back to accounts 0001 unapplied every later migration that depends on
        # accounts (mail, …): bring the whole schema back for the tests that follow.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
