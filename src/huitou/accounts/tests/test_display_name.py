"""How people and service accounts are named on pages."""

from django.utils import translation

from huitou.accounts.models import User


def test_a_service_accounts_name_is_shown_in_the_readers_language():
    mail = User(
        username="huitou-mail", last_name="邮", first_name="件渠道", is_service_account=True
    )
    with translation.override("en"):
        assert mail.display_name == "E-mail channel"
    with translation.override("zh-hans"):
        assert mail.display_name == "邮件渠道"


def test_a_persons_name_is_never_translated():
    person = User(username="agent9", last_name="智能", first_name="客服")
    with translation.override("en"):
        assert person.display_name == "智能客服"
