"""/api/v1/mail/mailboxes: admins set mailboxes up; passwords go in and never come out."""

import pytest

from huitou.accounts.models import Department
from huitou.accounts.tests.factories import UserFactory
from huitou.core.models import AuditEntry
from huitou.mail.models import Mailbox
from huitou.mail.services import do_mail_ingest
from huitou.mail.tests.factories import make_mail, make_mailbox

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "address": "Service@Huitou.Example",
    "department": None,
    "imap_host": "imap.exmail.qq.com",
    "imap_port": 993,
    "imap_tls": True,
    "imap_username": "service@huitou.example",
    "imap_password": "imap-secret",
    "imap_folder": "INBOX",
    "smtp_host": "smtp.exmail.qq.com",
    "smtp_port": 465,
    "smtp_tls": True,
    "smtp_username": "service@huitou.example",
    "smtp_password": "smtp-secret",
    "auto_answer": True,
}


@pytest.fixture
def admin_api(api_as):
    return api_as(UserFactory(role="admin"))


def test_an_admin_creates_a_mailbox_and_no_password_comes_back(admin_api):
    department = Department.objects.create(name="售后服务部")

    response = admin_api.post("mail/mailboxes", {**PAYLOAD, "department": department.pk})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == "service@huitou.example"
    assert body["department"] == department.pk and body["department_name"] == "售后服务部"
    assert body["has_imap_password"] and body["has_smtp_password"]
    assert body["auto_answer"] is True and body["active"] is True
    assert b"secret" not in response.content
    mailbox = Mailbox.objects.get(pk=body["id"])
    assert mailbox.imap_password == "imap-secret" and mailbox.smtp_password == "smtp-secret"


def test_no_listing_or_detail_shows_a_password(admin_api):
    mailbox = make_mailbox()

    listing = admin_api.get("mail/mailboxes")
    detail = admin_api.get(f"mail/mailboxes/{mailbox.pk}")

    assert listing.status_code == 200 and detail.status_code == 200
    assert [item["address"] for item in listing.json()] == [mailbox.address]
    assert b"secret" not in listing.content and b"secret" not in detail.content


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager", "qa", "handler"])
def test_only_an_admin_may_see_or_set_mailboxes(api_as, role):
    mailbox = make_mailbox()
    api = api_as(UserFactory(role=role))

    assert api.get("mail/mailboxes").status_code == 403
    assert api.get(f"mail/mailboxes/{mailbox.pk}").status_code == 403
    assert api.post("mail/mailboxes", PAYLOAD).status_code == 403
    assert api.patch(f"mail/mailboxes/{mailbox.pk}", {"active": False}).status_code == 403
    assert api.delete(f"mail/mailboxes/{mailbox.pk}").status_code == 403
    mailbox.refresh_from_db()
    assert mailbox.active


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"address": "not-an-address"}, "address"),
        ({"imap_port": 70000}, "imap_port"),
        ({"department": 999999}, "department"),
        ({"imap_host": "a\x00b"}, "imap_host"),
    ],
)
def test_bad_input_is_refused_naming_the_field(admin_api, change, field):
    response = admin_api.post("mail/mailboxes", {**PAYLOAD, **change})

    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not Mailbox.objects.exists()


def test_an_address_is_taken_once_whatever_its_case(admin_api):
    make_mailbox("service@huitou.example")

    response = admin_api.post("mail/mailboxes", PAYLOAD)

    assert response.status_code == 422
    assert "address" in str(response.json()["detail"])


def test_a_patch_changes_what_it_names_and_keeps_the_passwords(admin_api):
    mailbox = make_mailbox()

    response = admin_api.patch(
        f"mail/mailboxes/{mailbox.pk}",
        {"imap_folder": "客服", "smtp_password": None, "signature": "回头客服中心"},
    )

    assert response.status_code == 200, response.content
    mailbox.refresh_from_db()
    assert mailbox.imap_folder == "客服" and mailbox.signature == "回头客服中心"
    assert mailbox.smtp_password == "smtp-secret" and mailbox.imap_password == "imap-secret"


def test_a_new_password_is_stored_and_the_audit_trail_does_not_hold_it(admin_api):
    mailbox = make_mailbox()

    admin_api.patch(f"mail/mailboxes/{mailbox.pk}", {"imap_password": "new-secret"})

    mailbox.refresh_from_db()
    assert mailbox.imap_password == "new-secret"
    entry = AuditEntry.objects.get(field="imap_password")
    assert "new-secret" not in entry.new_value


def test_a_patch_may_not_empty_a_required_field(admin_api):
    mailbox = make_mailbox()

    response = admin_api.patch(f"mail/mailboxes/{mailbox.pk}", {"address": None})

    assert response.status_code == 422
    assert "address" in str(response.json()["detail"])


def test_delete_deactivates_and_keeps_the_mail(admin_api):
    mailbox = make_mailbox()
    do_mail_ingest(mailbox=mailbox, raw=make_mail())

    response = admin_api.delete(f"mail/mailboxes/{mailbox.pk}")

    assert response.status_code == 200
    assert response.json()["active"] is False
    mailbox.refresh_from_db()
    assert not mailbox.active and mailbox.inbound.count() == 1


def test_an_unknown_mailbox_is_404(admin_api):
    assert admin_api.get("mail/mailboxes/999999").status_code == 404


def test_the_tickets_list_filters_by_channel(admin_api, api_as):
    mailbox = make_mailbox()
    ticket = do_mail_ingest(mailbox=mailbox, raw=make_mail()).ticket
    agent = api_as(UserFactory(role="agent"))
    agent.post(
        "tickets",
        {
            "customer": ticket.customer_id,
            "channel": "phone",
            "type": "consultation",
            "subject": "来电",
        },
    )

    email = agent.get("tickets", channel="email")
    everything = agent.get("tickets")

    assert [item["number"] for item in email.json()["items"]] == [ticket.number]
    assert everything.json()["count"] == 2
    assert agent.get("tickets", channel="fax").status_code == 422


@pytest.fixture
def admin_client_logged_in(client):
    admin = UserFactory(role="admin")
    client.force_login(admin)
    return client


def test_the_admin_site_never_shows_a_password(admin_client_logged_in):
    mailbox = make_mailbox()

    page = admin_client_logged_in.get(f"/admin/mail/mailbox/{mailbox.pk}/change/")

    assert page.status_code == 200
    assert b"imap-secret" not in page.content and b"smtp-secret" not in page.content


def test_the_admin_site_keeps_a_password_left_empty(admin_client_logged_in):
    mailbox = make_mailbox()
    form = {
        "address": mailbox.address,
        "name": "客服邮箱",
        "active": "on",
        "imap_host": "imap.example.com",
        "imap_port": "993",
        "imap_username": mailbox.address,
        "imap_password": "",
        "imap_folder": "INBOX",
        "smtp_host": "smtp.example.com",
        "smtp_port": "465",
        "smtp_username": mailbox.address,
        "smtp_password": "changed-secret",
        "signature": "",
    }

    response = admin_client_logged_in.post(f"/admin/mail/mailbox/{mailbox.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "imap-secret"
    assert mailbox.smtp_password == "changed-secret"
    assert mailbox.imap_host == "imap.example.com"


def test_received_mail_is_read_only_with_its_raw_message_downloadable(admin_client_logged_in):
    mailbox = make_mailbox()
    raw = make_mail()
    inbound = do_mail_ingest(mailbox=mailbox, raw=raw).inbound

    listing = admin_client_logged_in.get("/admin/mail/inboundmail/")
    detail = admin_client_logged_in.get(f"/admin/mail/inboundmail/{inbound.pk}/change/")
    download = admin_client_logged_in.get(f"/admin/mail/inboundmail/{inbound.pk}/raw/")

    assert listing.status_code == 200 and detail.status_code == 200
    assert f"/admin/mail/inboundmail/{inbound.pk}/raw/".encode() in detail.content
    assert download.status_code == 200 and download.content == raw
    assert download["Content-Type"] == "message/rfc822"
    assert download["Content-Disposition"].startswith("attachment;")
    post = admin_client_logged_in.post(f"/admin/mail/inboundmail/{inbound.pk}/change/", {})
    assert post.status_code == 403


def test_staff_who_are_not_admins_cannot_download_raw_mail(client):
    mailbox = make_mailbox()
    inbound = do_mail_ingest(mailbox=mailbox, raw=make_mail()).inbound
    client.force_login(UserFactory(role="supervisor"))

    response = client.get(f"/admin/mail/inboundmail/{inbound.pk}/raw/")

    assert response.status_code in (302, 403)
