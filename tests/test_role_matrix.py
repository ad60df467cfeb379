"""Every API operation and every UI view, tried as every role: the UI and the API refuse the same
people, and nobody may do what the role table (README, "Roles") says they may not.

Each operation names the *action* it performs; ACTIONS says which roles may perform each action.
A request is "allowed" when the answer is neither 401/403/404 nor a redirect to a login page;
payloads are valid, so a refusal can only come from a permission rule. Every request runs in a
savepoint that is rolled back, so all roles meet the same records in the same state.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from huitou.accounts.models import Department
from huitou.accounts.services import do_token_create
from huitou.accounts.tests.factories import UserFactory
from huitou.chat.services import do_chat_accept, do_chat_ask
from huitou.complaints.forms import ClassificationForm
from huitou.complaints.models import Complaint, CrisisAlert
from huitou.complaints.services import do_complaint_dispatch
from huitou.config.api import api
from huitou.core.models import OutboxMessage
from huitou.core.notifications import do_notify
from huitou.core.outbox import do_outbox_add
from huitou.customers.models import ImportJob
from huitou.customers.services import do_customer_create, do_transaction_record
from huitou.customers.tagging import do_manual_tag
from huitou.knowledge.bot import HandOffContact
from huitou.knowledge.portal import do_portal_ticket_create
from huitou.knowledge.services import do_faq_save
from huitou.knowledge.verification import ticket_link_token
from huitou.mail.auto_answer import solved_token
from huitou.mail.models import Mailbox, OutgoingMail
from huitou.notify.services import unsubscribe_token
from huitou.portal.services import guest_token
from huitou.quality.defaults import ensure_quality_defaults
from huitou.quality.models import Scorecard
from huitou.quality.services import (
    do_appeal_file,
    do_calibration_create,
    do_inspection_create,
    do_inspection_score,
    do_inspection_submit,
    do_mystery_create,
    do_plan_create,
)
from huitou.surveys.distribution import do_distribution_create, do_distribution_open
from huitou.surveys.evaluation import compute_results
from huitou.surveys.models import EvaluationRound, FollowUp, Invitation, SatisfactionRule
from huitou.surveys.questionnaires import do_questionnaire_create
from huitou.surveys.rating import do_rating_submit
from huitou.tickets.attachments import build_attachment
from huitou.tickets.models import Message
from huitou.tickets.services import do_ticket_create, do_ticket_update

ROLES = ["agent", "supervisor", "qa", "manager", "handler", "admin"]

ALL = frozenset(ROLES)
WHOLE_ARCHIVE = ALL - {"handler"}  # handlers see only their department's tickets and customers
DESK = frozenset({"agent", "supervisor", "admin"})  # the service centre's desk work
SUPERVISION = frozenset({"supervisor", "admin"})
ANALYSIS = frozenset({"supervisor", "manager", "qa", "admin"})
ADMIN = frozenset({"admin"})

# The role table, as actions. README "Roles" is the prose of this table.
ACTIONS: dict[str, frozenset[str]] = {
    "public": ALL,
    "me": ALL,
    "departments.view": ALL,
    "departments.create": ADMIN,
    "users.view": ANALYSIS,
    "users.create": ADMIN,
    "customers.list": ALL,
    "customers.view": ALL,
    "customers.create": DESK,
    "customers.change": DESK,
    "customers.analysis": WHOLE_ARCHIVE,
    "customers.export": SUPERVISION,
    "customers.cleanse": SUPERVISION,
    "customers.merge": SUPERVISION,
    "customers.import": SUPERVISION,
    "customers.tag_rules.view": ALL,
    # Personal information: QA and handlers reveal a masked value (the desk sees it in
    # full; managers only masked); supervisors and admins answer a customer's request to
    # copy or delete their data and read the access record.
    "customers.reveal": ALL - {"manager"},
    "customers.privacy": SUPERVISION,
    "customers.tag_rules.change": ADMIN,
    "tickets.list": ALL,
    "tickets.view": ALL,
    "tickets.create": DESK,
    "tickets.change": DESK | {"handler"},
    "tickets.note": ALL - {"manager"},
    "tickets.reply": DESK | {"handler"},
    # The assignee (here the agent) or a supervisor.
    "tickets.transfer": DESK,
    "complaints.list": ALL,
    "complaints.view": ALL,
    "complaints.classify": DESK,
    "complaints.handle": DESK,
    "complaints.process": SUPERVISION | {"handler"},
    # The department that put things right records it too.
    "complaints.recovery": DESK | {"handler"},
    "complaints.score": frozenset({"qa", "admin"}),
    "complaints.analysis": ANALYSIS,
    "complaints.callbacks": ALL,
    "complaints.alerts": ANALYSIS,
    "complaints.acknowledge": frozenset({"supervisor", "manager", "admin"}),
    "phrases.check": ALL - {"manager"},
    "notifications": ALL,
    "sla.view": ALL,
    "sla.configure": ADMIN,
    "sla.report": ANALYSIS,
    # The agent's own status (the world's target user is the agent), or a supervisor.
    "sla.agent_status": DESK,
    "sla.duty": DESK | {"handler"},
    "kb.analytics": ANALYSIS,
    "mail.configure": ADMIN,
    # The chat console: the desk and handlers (their department's chats); working one
    # chat (the world's is the agent's, in no department) is the desk's.
    "chat.console": DESK | {"handler"},
    "chat.work": DESK,
    # Satisfaction: configuring the rating and questionnaires (supervisors, QA, admins);
    # following up low ratings (supervisors, admins).
    "surveys.manage": SUPERVISION | {"qa"},
    "surveys.follow_up": SUPERVISION,
    "surveys.analysis": ANALYSIS,  # the satisfaction figures; everyone sees their own ("me")
    # Keying in a phone survey's answers: the desk.
    "surveys.enter": DESK,
    # Quality-evaluation rounds: run by surveys.manage; their reports read by analysis roles.
    "surveys.evaluation.read": ANALYSIS,
    # QA inspection: inspectors (QA, supervisors, admins) score; supervisors and admins
    # manage scorecards, plans and mystery tasks and decide appeals; an agent reads their
    # own results (inspectors read all) and appeals their own (the world's is the agent's).
    "quality.inspect": SUPERVISION | {"qa"},
    "quality.manage": SUPERVISION,
    "quality.results": DESK | {"qa"},
    "quality.own": DESK,
    "quality.appeal": frozenset({"agent"}),
    "quality.decide": SUPERVISION,
    "quality.figures": ANALYSIS,
    "admin_site": ADMIN,
}


@dataclass
class World:
    users: dict
    department: Department
    centre: Department
    other_department: Department
    customer: object
    duplicate: object
    ticket: object
    complaint: Complaint
    alert: CrisisAlert
    job: ImportJob
    notifications: dict
    faq: object
    portal_link: str = ""  # the contact confirmation page of a portal ticket
    attachment: object = None  # a file that came with the ticket's request
    mail_reply: object = None  # a public reply whose e-mail failed (to resend)
    guest_link: str = ""  # the customer portal's private link to the portal ticket
    guest_file: str = ""  # a file of that ticket, through the link
    chat: object = None  # a live chat the agent is serving
    # Surveys' records: "follow_up" (a low rating's), "rule", "rate_link" (unanswered).
    surveys: dict = field(default_factory=dict)
    # QA records: "queued" (the QA user's), "submitted" (the agent's result), "appeal"
    # (open), "calibration", "mystery" (assigned to QA), "plan", "scorecard".
    quality: dict = field(default_factory=dict)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.HUEY = {**settings.HUEY, "immediate": True}
    settings.HUITOU_SMS_RECEIPT_TOKEN = "matrix"  # the providers' receipt callbacks answer
    centre, _ = Department.objects.get_or_create(name="客服中心")
    department, _ = Department.objects.get_or_create(name="售后服务部")
    other, _ = Department.objects.get_or_create(name="销售部")
    users = {
        role: UserFactory(
            username=f"matrix_{role}",
            role=role,
            department=department if role == "handler" else centre,
        )
        for role in ROLES
    }
    agent = users["agent"]
    customer = do_customer_create(actor=agent, name="周建国", phone="13512345678", gender="male")
    duplicate = do_customer_create(actor=agent, name="周建国", phone="13512345679")
    do_transaction_record(
        actor=agent,
        customer=customer,
        occurred_at=timezone.now() - timedelta(days=3),
        product="冰箱",
        amount="3999.00",
    )
    do_manual_tag(actor=agent, customer=customer, name="老客户")
    ticket = do_ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        type="consultation",
        subject="冰箱保修期多久",
        description="客户来电咨询。",
        department=department,
        assignee=agent,
    )
    complaint_ticket = do_ticket_create(
        actor=agent,
        customer=customer,
        channel="phone",
        type="complaint",
        subject="冰箱安装后漏水",
        description="装好第二天就漏水。",
    )
    complaint = Complaint.objects.get(pk=complaint_ticket.pk)
    do_complaint_dispatch(actor=agent, complaint=complaint, department=department, note="请处理")
    alert = CrisisAlert.objects.create(
        kind=CrisisAlert.Kind.PUBLICITY, window_start=timezone.now() - timedelta(hours=1)
    )
    alert.complaints.add(complaint)
    stored = tmp_path / "customers.csv"
    stored.write_text("name,phone\n李娜,13600000000\n", encoding="utf-8")
    job = ImportJob.objects.create(
        kind="customers", file_name="customers.csv", stored_path=str(stored), created_by=agent
    )
    notifications = {
        role: do_notify(recipients=[user], kind="test", title="提醒")[0]
        for role, user in users.items()
    }
    portal = do_portal_ticket_create(name="访客", phone="13512345678", question="发票怎么开")
    settings.MEDIA_ROOT = tmp_path / "media"
    attachment = build_attachment(
        name="保修卡.pdf", content_type="application/pdf", payload=b"%PDF"
    )
    attachment.ticket = ticket
    attachment.save()
    portal_file = build_attachment(name="发票.pdf", content_type="application/pdf", payload=b"%PDF")
    portal_file.ticket = portal
    portal_file.save()
    _reply, chat = do_chat_ask(
        question="转人工", contact=HandOffContact(name="在线访客", phone="13512345670")
    )
    do_chat_accept(actor=agent, session_id=chat.pk)
    return World(
        quality=quality_records(users, ticket),
        surveys={
            **survey_records(customer, agent),
            **questionnaire_records(customer),
            **distribution_records(customer, users["supervisor"]),
            "evaluation": evaluation_round(),
        },
        chat=chat,
        mail_reply=failed_mail_reply(ticket, department),
        attachment=attachment,
        portal_link=f"/help/ticket/verify/{ticket_link_token(portal)}/",
        guest_link=f"/help/t/{guest_token(portal)}/",
        guest_file=f"/help/t/{guest_token(portal)}/files/{portal_file.pk}/",
        users=users,
        department=department,
        centre=centre,
        other_department=other,
        customer=customer,
        duplicate=duplicate,
        ticket=ticket,
        complaint=complaint,
        alert=alert,
        job=job,
        notifications=notifications,
        faq=do_faq_save(
            actor=None,
            category="安装",
            question="空调漏水怎么办",
            answer="请关机断电，联系售后上门检查排水管。",
            similar=["空调滴水"],
        )[0],
    )


def survey_records(customer, agent) -> dict:
    """A low rating with its follow-up, an unanswered rating link and a rating rule."""

    def resolved():
        made = do_ticket_create(
            actor=agent, customer=customer, channel="web", type="consultation", subject="发票"
        )
        do_ticket_update(actor=agent, ticket=made, changes={"status": "resolved"})
        return Invitation.objects.get(ticket=made)

    rated = resolved()
    do_rating_submit(token=rated.token, rating=1, reason="waiting")
    Invitation.objects.filter(customer=customer).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    open_link = resolved()
    return {
        "follow_up": FollowUp.objects.get(response__invitation=rated),
        "rate_link": f"/s/r/{open_link.token}/",
        "rule": SatisfactionRule.objects.create(channel="email", delay_minutes=10),
    }


QUESTIONNAIRE_BODY = {
    "sections": [
        {
            "questions": [
                {"key": "Q1", "kind": "scale", "text": "总体满意吗", "overall": True},
                {"key": "Q2", "kind": "text", "text": "意见", "required": False},
            ]
        }
    ]
}


def questionnaire_records(customer) -> dict:
    """A published questionnaire, an unanswered invitation to it and an open public link."""
    questionnaire = do_questionnaire_create(
        actor=None, data={"title": "门店调查", "body": QUESTIONNAIRE_BODY}, builtin="matrix"
    )
    now = timezone.now()
    invitation = Invitation.objects.create(
        kind=Invitation.Kind.SURVEY, token="matrix-survey", state="invited", customer=customer,
        version=questionnaire.current_version, due_at=now, expires_at=now + timedelta(days=7),
    )  # fmt: skip
    open_link = questionnaire.distributions.create(
        name="公开链接", audience="open", state="open", public_token="matrix-open"
    )
    return {"questionnaire": questionnaire, "invitation": invitation, "open_link": open_link}


def distribution_records(customer, supervisor) -> dict:
    """A draft distribution, an open comment card (QR code) and an open phone survey with
    the customer on its list."""
    questionnaire = do_questionnaire_create(
        actor=None, data={"title": "发放调查", "body": QUESTIONNAIRE_BODY}, builtin="matrix_d"
    )

    def made(**data):
        data = {"name": "调查", "questionnaire": questionnaire.pk, "channels": ["email"], **data}
        return do_distribution_create(actor=supervisor, data=data)

    def started(**data):
        return do_distribution_open(actor=supervisor, distribution_id=made(**data).pk)

    phone = started(audience="phone", segment={"tier": [customer.tier]})
    return {
        "distribution_questionnaire": questionnaire,
        "draft": made(),
        "card": started(audience="open", channels=["link"]),
        "phone": phone,
        "phone_invitation": phone.invitations.get(customer=customer),
    }


def evaluation_round() -> EvaluationRound:
    """A quality-evaluation round analysed and at its report stage, not yet issued."""
    today = timezone.localdate()
    made = EvaluationRound.objects.create(
        name="本月服务质量测评", stage="report", period_start=today - timedelta(days=30),
        period_end=today, aims="了解服务质量", scope="热线", respondents="客户",
        inputs=["satisfaction", "complaints"], findings="态度好", actions="缩短等待",
    )  # fmt: skip
    made.results, made.analysed_at = compute_results(round_=made), timezone.now()
    made.save()
    return made


def quality_records(users, ticket) -> dict:
    """A queued inspection, a submitted result, an open appeal, a calibration session, a
    mystery-shopper task and a sampling plan, all on the world's ticket (the agent's)."""
    ensure_quality_defaults()
    card = Scorecard.objects.get(builtin="general")
    qa, agent, lead = users["qa"], users["agent"], users["supervisor"]

    def submitted():
        made = do_inspection_create(ticket=ticket, scorecard=card, inspector=qa, source="manual")
        rows = made.items.select_related("item")
        do_inspection_score(
            actor=qa, inspection=made, items={r.item.key: {"result": "pass"} for r in rows}
        )
        return do_inspection_submit(actor=qa, inspection=made)

    appealed = submitted()
    return {
        "scorecard": card,
        "queued": do_inspection_create(
            ticket=ticket, scorecard=card, inspector=qa, source="manual"
        ),
        "submitted": submitted(),
        "appeal": do_appeal_file(actor=agent, inspection=appealed, reason="我已问候客户"),
        "calibration": do_calibration_create(
            actor=qa, name="校准", ticket=ticket, scorecard=card, inspectors=[qa, lead]
        ),
        "mystery": do_mystery_create(
            actor=lead,
            title="测试来电",
            script="询问保修",
            channel="phone",
            due_date=timezone.localdate(),
            inspector=qa,
        ),
        "plan": do_plan_create(actor=lead, name="随机抽检", kind="random", inspectors=[qa]),
    }


def failed_mail_reply(ticket, department) -> Message:
    """A reply e-mailed to the customer that the server refused (550)."""
    mailbox = Mailbox.objects.create(address="service@huitou.example.com", department=department)
    message = Message.objects.create(ticket=ticket, body="您好，已为您处理。", public=True)
    outbox = do_outbox_add(to=["zhou@example.com"], subject="Re: 冰箱保修期多久", body="您好")
    OutboxMessage.objects.filter(pk=outbox.pk).update(status="failed", last_error="550 no")
    OutgoingMail.objects.create(
        ticket_message=message, mailbox=mailbox, outbox=outbox, message_id=outbox.message_id
    )
    return message


# --- the API -----------------------------------------------------------------------------------


def api_operations(w: World, role: str) -> dict[str, tuple[str, str, dict | None]]:
    """'METHOD path template' → (action, concrete path, JSON body)."""
    c, t, k = w.customer.pk, w.ticket.pk, w.complaint.pk
    target = w.users["agent"].pk
    return {
        "GET /api/v1/departments": ("departments.view", "/api/v1/departments", None),
        "POST /api/v1/departments": (
            "departments.create",
            "/api/v1/departments",
            {"name": "质量部"},
        ),
        "GET /api/v1/users": ("users.view", "/api/v1/users", None),
        "POST /api/v1/users": (
            "users.create",
            "/api/v1/users",
            {"username": "newagent", "password": "Zx9!long-enough-pass", "role": "agent"},
        ),
        "GET /api/v1/me": ("me", "/api/v1/me", None),
        "GET /api/v1/customers": ("customers.list", "/api/v1/customers", None),
        "POST /api/v1/customers": (
            "customers.create",
            "/api/v1/customers",
            {"name": "王芳", "phone": "13700000000"},
        ),
        "GET /api/v1/customers/cleansing/duplicates": (
            "customers.cleanse",
            "/api/v1/customers/cleansing/duplicates",
            None,
        ),
        "GET /api/v1/customers/cleansing/quality": (
            "customers.cleanse",
            "/api/v1/customers/cleansing/quality",
            None,
        ),
        "GET /api/v1/customers/tag-rules": (
            "customers.tag_rules.view",
            "/api/v1/customers/tag-rules",
            None,
        ),
        "POST /api/v1/customers/tag-rules": (
            "customers.tag_rules.change",
            "/api/v1/customers/tag-rules",
            {"name": "北京客户", "conditions": [{"field": "city", "op": "eq", "value": "北京"}]},
        ),
        "POST /api/v1/customers/imports": ("customers.import", "/api/v1/customers/imports", None),
        "GET /api/v1/customers/imports/{job_id}": (
            "customers.import",
            f"/api/v1/customers/imports/{w.job.pk}",
            None,
        ),
        "GET /api/v1/customers/tiers/distribution": (
            "customers.analysis",
            "/api/v1/customers/tiers/distribution",
            None,
        ),
        "GET /api/v1/customers/loss-reasons": (
            "customers.view",
            "/api/v1/customers/loss-reasons",
            None,
        ),
        "GET /api/v1/customers/{customer_id}": ("customers.view", f"/api/v1/customers/{c}", None),
        "PATCH /api/v1/customers/{customer_id}": (
            "customers.change",
            f"/api/v1/customers/{c}",
            {"city": "杭州"},
        ),
        "GET /api/v1/customers/{customer_id}/transactions": (
            "customers.view",
            f"/api/v1/customers/{c}/transactions",
            None,
        ),
        "POST /api/v1/customers/{customer_id}/transactions": (
            "customers.change",
            f"/api/v1/customers/{c}/transactions",
            {"occurred_at": timezone.now().isoformat(), "product": "空调", "amount": "2999.00"},
        ),
        "POST /api/v1/customers/{customer_id}/tags": (
            "customers.change",
            f"/api/v1/customers/{c}/tags",
            {"name": "重点关注"},
        ),
        "DELETE /api/v1/customers/{customer_id}/tags/{name}": (
            "customers.change",
            f"/api/v1/customers/{c}/tags/老客户",
            None,
        ),
        "POST /api/v1/customers/{customer_id}/merge": (
            "customers.merge",
            f"/api/v1/customers/{c}/merge",
            {"duplicate": w.duplicate.pk},
        ),
        "GET /api/v1/customers/privacy/access-records": (
            "customers.privacy",
            "/api/v1/customers/privacy/access-records",
            None,
        ),
        "POST /api/v1/customers/{customer_id}/reveal": (
            "customers.reveal",
            f"/api/v1/customers/{c}/reveal",
            {"fields": ["phone"]},
        ),
        "GET /api/v1/customers/{customer_id}/personal-data": (
            "customers.privacy",
            f"/api/v1/customers/{c}/personal-data",
            None,
        ),
        "POST /api/v1/customers/{customer_id}/erase": (
            "customers.privacy",
            f"/api/v1/customers/{c}/erase",
            {"reason": "客户来电要求删除", "confirm_number": w.customer.number},
        ),
        "POST /api/v1/customers/{customer_id}/tier-override": (
            "customers.change",
            f"/api/v1/customers/{c}/tier-override",
            {
                "tier": "A",
                "reason": "重点合作客户",
                "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
            },
        ),
        "GET /api/v1/tickets": ("tickets.list", "/api/v1/tickets", None),
        "POST /api/v1/tickets": (
            "tickets.create",
            "/api/v1/tickets",
            {"customer": c, "channel": "phone", "type": "consultation", "subject": "咨询"},
        ),
        "GET /api/v1/tickets/{ticket_id}": ("tickets.view", f"/api/v1/tickets/{t}", None),
        "PATCH /api/v1/tickets/{ticket_id}": (
            "tickets.change",
            f"/api/v1/tickets/{t}",
            {"status": "pending"},
        ),
        "GET /api/v1/tickets/{ticket_id}/messages": (
            "tickets.view",
            f"/api/v1/tickets/{t}/messages",
            None,
        ),
        "POST /api/v1/tickets/{ticket_id}/messages": (
            "tickets.note",
            f"/api/v1/tickets/{t}/messages",
            {"body": "内部备注：已联系安装师傅。", "public": False},
        ),
        "POST /api/v1/mail/messages/{message_id}/resend": (
            "tickets.reply",
            f"/api/v1/mail/messages/{w.mail_reply.pk}/resend",
            {},
        ),
        "POST /api/v1/tickets/{ticket_id}/transfer": (
            "tickets.transfer",
            f"/api/v1/tickets/{t}/transfer",
            {"reason": "客户要求换人", "assignee": w.users["supervisor"].pk},
        ),
        "GET /api/v1/complaints": ("complaints.list", "/api/v1/complaints", None),
        "GET /api/v1/complaints/analysis": (
            "complaints.analysis",
            "/api/v1/complaints/analysis",
            None,
        ),
        "GET /api/v1/complaints/qa": ("complaints.analysis", "/api/v1/complaints/qa", None),
        "GET /api/v1/complaints/callbacks": (
            "complaints.callbacks",
            "/api/v1/complaints/callbacks",
            None,
        ),
        "GET /api/v1/complaints/alerts": ("complaints.alerts", "/api/v1/complaints/alerts", None),
        "POST /api/v1/complaints/alerts/{alert_id}/acknowledge": (
            "complaints.acknowledge",
            f"/api/v1/complaints/alerts/{w.alert.pk}/acknowledge",
            {"note": "已安排公关"},
        ),
        "GET /api/v1/complaints/{ticket_id}": (
            "complaints.view",
            f"/api/v1/complaints/{k}",
            None,
        ),
        "PATCH /api/v1/complaints/{ticket_id}": (
            "complaints.classify",
            f"/api/v1/complaints/{k}",
            {"product": "冰箱"},
        ),
        "POST /api/v1/complaints/{ticket_id}/answer": (
            "complaints.handle",
            f"/api/v1/complaints/{k}/answer",
            {"body": "您好，我们马上安排。"},
        ),
        "POST /api/v1/complaints/{ticket_id}/dispatch": (
            "complaints.handle",
            f"/api/v1/complaints/{k}/dispatch",
            {"department": w.other_department.pk, "note": "改派：属销售问题"},
        ),
        "POST /api/v1/complaints/{ticket_id}/accept": (
            "complaints.process",
            f"/api/v1/complaints/{k}/accept",
            {},
        ),
        "POST /api/v1/complaints/{ticket_id}/result": (
            "complaints.process",
            f"/api/v1/complaints/{k}/result",
            {"result": "已上门更换水管。"},
        ),
        "POST /api/v1/complaints/{ticket_id}/reply": (
            "complaints.handle",
            f"/api/v1/complaints/{k}/reply",
            {"body": "您好，师傅已上门处理。"},
        ),
        "POST /api/v1/complaints/{ticket_id}/callback": (
            "complaints.handle",
            f"/api/v1/complaints/{k}/callback",
            {"satisfaction": 5, "reached": True},
        ),
        "POST /api/v1/complaints/{ticket_id}/reopen": (
            "complaints.handle",
            f"/api/v1/complaints/{k}/reopen",
            {"reason": "客户仍不满意"},
        ),
        "POST /api/v1/complaints/{ticket_id}/recoveries": (
            "complaints.recovery",
            f"/api/v1/complaints/{k}/recoveries",
            {"kind": "apology", "description": "致歉"},
        ),
        "PUT /api/v1/complaints/{ticket_id}/score": (
            "complaints.score",
            f"/api/v1/complaints/{k}/score",
            {
                "right_department": 30,
                "clear_description": 20,
                "due_time_met": 25,
                "reply_quality": 15,
            },
        ),
        "POST /api/v1/phrases/check": (
            "phrases.check",
            "/api/v1/phrases/check",
            {"text": "这是公司规定"},
        ),
        "GET /api/v1/phrases/standard": (
            "tickets.view",
            f"/api/v1/phrases/standard?ticket={t}",
            None,
        ),
        "GET /api/v1/notifications": ("notifications", "/api/v1/notifications", None),
        "GET /api/v1/chat/sessions": ("chat.console", "/api/v1/chat/sessions", None),
        "POST /api/v1/chat/sessions/{session_id}/accept": (
            "chat.work",
            f"/api/v1/chat/sessions/{w.chat.pk}/accept",
            {},
        ),
        "POST /api/v1/chat/sessions/{session_id}/transfer": (
            "chat.work",
            f"/api/v1/chat/sessions/{w.chat.pk}/transfer",
            {"reason": "需要主管处理", "assignee": w.users["supervisor"].pk},
        ),
        "POST /api/v1/chat/sessions/{session_id}/end": (
            "chat.work",
            f"/api/v1/chat/sessions/{w.chat.pk}/end",
            {},
        ),
        "GET /api/v1/satisfaction/settings": (
            "surveys.manage",
            "/api/v1/satisfaction/settings",
            None,
        ),
        "PATCH /api/v1/satisfaction/settings": (
            "surveys.manage",
            "/api/v1/satisfaction/settings",
            {"change_days": 5},
        ),
        "GET /api/v1/satisfaction/summary": (
            "surveys.analysis",
            "/api/v1/satisfaction/summary",
            None,
        ),
        "GET /api/v1/satisfaction/breakdown": (
            "surveys.analysis",
            "/api/v1/satisfaction/breakdown?by=agent",
            None,
        ),
        "GET /api/v1/satisfaction/trend": ("surveys.analysis", "/api/v1/satisfaction/trend", None),
        "GET /api/v1/satisfaction/indicators": (
            "surveys.analysis",
            "/api/v1/satisfaction/indicators",
            None,
        ),
        "GET /api/v1/satisfaction/servqual": (
            "surveys.analysis",
            "/api/v1/satisfaction/servqual",
            None,
        ),
        "GET /api/v1/satisfaction/crosstab": (
            "surveys.analysis",
            "/api/v1/satisfaction/crosstab",
            None,
        ),
        "GET /api/v1/satisfaction/mine": ("me", "/api/v1/satisfaction/mine", None),
        "GET /api/v1/satisfaction/rules": ("surveys.manage", "/api/v1/satisfaction/rules", None),
        "POST /api/v1/satisfaction/rules": (
            "surveys.manage",
            "/api/v1/satisfaction/rules",
            {"channel": "phone", "tier": "A", "sample_percent": 50},
        ),
        "PATCH /api/v1/satisfaction/rules/{rule_id}": (
            "surveys.manage",
            f"/api/v1/satisfaction/rules/{w.surveys['rule'].pk}",
            {"delay_minutes": 30},
        ),
        "DELETE /api/v1/satisfaction/rules/{rule_id}": (
            "surveys.manage",
            f"/api/v1/satisfaction/rules/{w.surveys['rule'].pk}",
            None,
        ),
        "GET /api/v1/satisfaction/follow-ups": (
            "surveys.follow_up",
            "/api/v1/satisfaction/follow-ups",
            None,
        ),
        "POST /api/v1/satisfaction/follow-ups/{follow_up_id}/done": (
            "surveys.follow_up",
            f"/api/v1/satisfaction/follow-ups/{w.surveys['follow_up'].pk}/done",
            {"outcome": "已回访，客户接受道歉"},
        ),
        "GET /api/v1/surveys/questionnaires": (
            "surveys.manage",
            "/api/v1/surveys/questionnaires",
            None,
        ),
        "POST /api/v1/surveys/questionnaires": (
            "surveys.manage",
            "/api/v1/surveys/questionnaires",
            {"title": "新问卷", "body": QUESTIONNAIRE_BODY},
        ),
        "GET /api/v1/surveys/questionnaires/{questionnaire_id}": (
            "surveys.manage",
            f"/api/v1/surveys/questionnaires/{w.surveys['questionnaire'].pk}",
            None,
        ),
        "PATCH /api/v1/surveys/questionnaires/{questionnaire_id}": (
            "surveys.manage",
            f"/api/v1/surveys/questionnaires/{w.surveys['questionnaire'].pk}",
            {"title_en": "Store survey"},
        ),
        "POST /api/v1/surveys/questionnaires/{questionnaire_id}/publish": (
            "surveys.manage",
            f"/api/v1/surveys/questionnaires/{w.surveys['questionnaire'].pk}/publish",
            {"note": "改题", **QUESTIONNAIRE_BODY},
        ),
        "POST /api/v1/surveys/questionnaires/{questionnaire_id}/archive": (
            "surveys.manage",
            f"/api/v1/surveys/questionnaires/{w.surveys['questionnaire'].pk}/archive",
            {"archived": True},
        ),
        "GET /api/v1/surveys/questionnaires/{questionnaire_id}/versions": (
            "surveys.manage",
            f"/api/v1/surveys/questionnaires/{w.surveys['questionnaire'].pk}/versions",
            None,
        ),
        "GET /api/v1/surveys/questionnaires/{questionnaire_id}/versions/{number}": (
            "surveys.manage",
            f"/api/v1/surveys/questionnaires/{w.surveys['questionnaire'].pk}/versions/1",
            None,
        ),
        "POST /api/v1/surveys/answers/{token}": (
            "public",
            f"/api/v1/surveys/answers/{w.surveys['invitation'].token}",
            {"answers": {"Q1": 5}},
        ),
        "POST /api/v1/surveys/open/{token}": (
            "public",
            f"/api/v1/surveys/open/{w.surveys['open_link'].public_token}",
            {"answers": {"Q1": 4, "Q2": "很好"}},
        ),
        "GET /api/v1/surveys/evaluations": (
            "surveys.evaluation.read",
            "/api/v1/surveys/evaluations",
            None,
        ),
        "POST /api/v1/surveys/evaluations": (
            "surveys.manage",
            "/api/v1/surveys/evaluations",
            {"name": "季度测评", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        ),
        "GET /api/v1/surveys/evaluations/{round_id}": (
            "surveys.evaluation.read",
            f"/api/v1/surveys/evaluations/{w.surveys['evaluation'].pk}",
            None,
        ),
        "PATCH /api/v1/surveys/evaluations/{round_id}": (
            "surveys.manage",
            f"/api/v1/surveys/evaluations/{w.surveys['evaluation'].pk}",
            {"findings": "及时性待提高"},
        ),
        "POST /api/v1/surveys/evaluations/{round_id}/advance": (
            "surveys.manage",
            f"/api/v1/surveys/evaluations/{w.surveys['evaluation'].pk}/advance",
            {"to": "analyse"},
        ),
        "POST /api/v1/surveys/evaluations/{round_id}/analyse": (
            "surveys.manage",
            f"/api/v1/surveys/evaluations/{w.surveys['evaluation'].pk}/analyse",
            None,
        ),
        "POST /api/v1/surveys/evaluations/{round_id}/issue": (
            "surveys.manage",
            f"/api/v1/surveys/evaluations/{w.surveys['evaluation'].pk}/issue",
            None,
        ),
        "GET /api/v1/surveys/evaluations/{round_id}/collect": (
            "surveys.manage",
            f"/api/v1/surveys/evaluations/{w.surveys['evaluation'].pk}/collect",
            None,
        ),
        "GET /api/v1/surveys/distributions": (
            "surveys.manage",
            "/api/v1/surveys/distributions",
            None,
        ),
        "POST /api/v1/surveys/distributions": (
            "surveys.manage",
            "/api/v1/surveys/distributions",
            {
                "name": "抽样调查",
                "questionnaire": w.surveys["distribution_questionnaire"].pk,
                "channels": ["email"],
            },
        ),
        "GET /api/v1/surveys/distributions/{distribution_id}": (
            "surveys.manage",
            f"/api/v1/surveys/distributions/{w.surveys['draft'].pk}",
            None,
        ),
        "PATCH /api/v1/surveys/distributions/{distribution_id}": (
            "surveys.manage",
            f"/api/v1/surveys/distributions/{w.surveys['draft'].pk}",
            {"name": "改名"},
        ),
        "POST /api/v1/surveys/distributions/{distribution_id}/open": (
            "surveys.manage",
            f"/api/v1/surveys/distributions/{w.surveys['draft'].pk}/open",
            {},
        ),
        "POST /api/v1/surveys/distributions/{distribution_id}/close": (
            "surveys.manage",
            f"/api/v1/surveys/distributions/{w.surveys['draft'].pk}/close",
            {},
        ),
        "GET /api/v1/surveys/distributions/{distribution_id}/invitations": (
            "surveys.manage",
            f"/api/v1/surveys/distributions/{w.surveys['phone'].pk}/invitations",
            None,
        ),
        "POST /api/v1/surveys/distributions/{distribution_id}/phone/{invitation_id}": (
            "surveys.enter",
            f"/api/v1/surveys/distributions/{w.surveys['phone'].pk}/phone/"
            f"{w.surveys['phone_invitation'].pk}",
            {"answers": {"Q1": 5}},
        ),
        **quality_operations(w),
        "POST /api/v1/notifications/read": ("notifications", "/api/v1/notifications/read", {}),
        "POST /api/v1/notifications/{notification_id}/read": (
            "notifications",
            f"/api/v1/notifications/{w.notifications[role].pk}/read",
            {},
        ),
        "GET /api/v1/sla/calendars": ("sla.view", "/api/v1/sla/calendars", None),
        "POST /api/v1/sla/calendars": (
            "sla.configure",
            "/api/v1/sla/calendars",
            {"name": "门店", "hours": {"mon": [["09:00", "18:00"]]}},
        ),
        "GET /api/v1/sla/policies": ("sla.view", "/api/v1/sla/policies", None),
        "POST /api/v1/sla/policies": (
            "sla.configure",
            "/api/v1/sla/policies",
            {
                "name": "门店标准",
                "calendar": "热线 7×24",
                "first_response_minutes": 60,
                "resolution_minutes": 600,
            },
        ),
        "GET /api/v1/sla/preview": ("sla.view", "/api/v1/sla/preview?tier=A", None),
        "GET /api/v1/sla/report": ("sla.report", "/api/v1/sla/report", None),
        "GET /api/v1/sla/breaches": ("sla.report", "/api/v1/sla/breaches", None),
        "GET /api/v1/sla/queues": ("sla.view", "/api/v1/sla/queues", None),
        "PATCH /api/v1/sla/agents/{user_id}": (
            "sla.agent_status",
            f"/api/v1/sla/agents/{target}",
            {"on_duty": False},
        ),
        "GET /api/v1/sla/agents/{user_id}": ("sla.view", f"/api/v1/sla/agents/{target}", None),
        "POST /api/v1/bot/ask": ("public", "/api/v1/bot/ask", {"question": "空调漏水怎么办"}),
        "GET /api/v1/mail/mailboxes": ("mail.configure", "/api/v1/mail/mailboxes", None),
        "POST /api/v1/mail/mailboxes": (
            "mail.configure",
            "/api/v1/mail/mailboxes",
            {"address": "sales@huitou.example.com", "imap_host": "imap.example.com"},
        ),
        "GET /api/v1/mail/mailboxes/{mailbox_id}": (
            "mail.configure",
            f"/api/v1/mail/mailboxes/{w.mail_reply.outgoing_mail.mailbox_id}",
            None,
        ),
        "PATCH /api/v1/mail/mailboxes/{mailbox_id}": (
            "mail.configure",
            f"/api/v1/mail/mailboxes/{w.mail_reply.outgoing_mail.mailbox_id}",
            {"signature": "回头客服中心", "smtp_password": "new-secret"},
        ),
        "DELETE /api/v1/mail/mailboxes/{mailbox_id}": (
            "mail.configure",
            f"/api/v1/mail/mailboxes/{w.mail_reply.outgoing_mail.mailbox_id}",
            None,
        ),
    }


def api_call(client: Client, headers: dict, key: str, path: str, body):
    method = key.split(" ", 1)[0].lower()
    if key == "POST /api/v1/customers/imports":
        upload = SimpleUploadedFile(
            "customers.csv", "name,phone\n李娜,13600000001\n".encode(), content_type="text/csv"
        )
        return client.post(path, {"kind": "customers", "file": upload}, headers=headers)
    if body is None:
        return getattr(client, method)(path, headers=headers)
    return getattr(client, method)(
        path, data=body, content_type="application/json", headers=headers
    )


def allowed(response) -> bool:
    if response.status_code in (401, 403, 404):
        return False
    return not (response.status_code == 302 and "/login/" in response.get("Location", ""))


def in_rollback(call):
    """Run `call` in a savepoint that is always rolled back, and return what it returned."""
    with transaction.atomic():
        result = call()
        transaction.set_rollback(True)
    return result


# --- the UI -------------------------------------------------------------------------------------

# URL patterns outside the staff UI: the API (walked above), the admin site (one entry below
# stands for it), the language switch, the login pages, the health check and the callbacks
# WeChat's servers call (signed with the account's Token, not a role's pages: their
# signature checks are in huitou/wechat/tests).
NOT_UI = {"api", "admin", "set_language", "login", "logout", "healthz", "wechat"}


def ui_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in NOT_UI or pattern.app_name in NOT_UI:
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in NOT_UI:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def classification(w: World) -> dict:
    """The classification form as the page fills it, with the product changed."""
    initial = ClassificationForm(instance=w.complaint).initial
    data = {name: value for name, value in initial.items() if value not in (None, "")}
    data["solution_accepted"] = "unknown"
    return {**data, "product": "冰箱"}


def ui_views(w: World) -> dict[str, list[tuple[str, str, str, dict | None]]]:
    """URL name → [(action, method, path, form data)]."""
    c, d, t, k = w.customer.pk, w.duplicate.pk, w.ticket.pk, w.complaint.pk
    return {
        "tickets:inbox": [("tickets.list", "get", "/tickets/", None)],
        "tickets:new_phone": [
            ("tickets.create", "get", "/tickets/new/phone/", None),
            (
                "tickets.create",
                "post",
                "/tickets/new/phone/",
                {
                    "phone": "13512345678",
                    "customer_id": c,
                    "customer_name": "周建国",
                    "customer_kind": "individual",
                    "type": "consultation",
                    "priority": "normal",
                    "subject": "咨询保修",
                    "description": "来电咨询",
                },
            ),
        ],
        "tickets:customer_lookup": [
            ("tickets.create", "get", "/tickets/new/phone/lookup/?phone=13512345678", None)
        ],
        "tickets:phrase_check": [
            ("phrases.check", "post", "/tickets/phrases/check/", {"body": "这是公司规定"})
        ],
        "tickets:detail": [("tickets.view", "get", f"/tickets/{t}/", None)],
        "mail:resend": [("tickets.reply", "post", f"/mail/messages/{w.mail_reply.pk}/resend/", {})],
        "mail:solved": [  # the automatic answer's 这解决了我的问题 link (signed token)
            ("public", "get", f"/mail/solved/{solved_token(ticket=w.ticket, entry=w.faq)}/", None),
            ("public", "post", f"/mail/solved/{solved_token(ticket=w.ticket, entry=w.faq)}/", {}),
        ],
        "tickets:attachment": [
            ("tickets.view", "get", f"/tickets/attachments/{w.attachment.pk}/", None)
        ],
        "tickets:reply": [
            ("tickets.note", "post", f"/tickets/{t}/reply/", {"body": "内部备注"}),
            (
                "tickets.reply",
                "post",
                f"/tickets/{t}/reply/",
                {"body": "您好，已为您处理。", "public": "on"},
            ),
        ],
        "tickets:update": [
            (
                "tickets.change",
                "post",
                f"/tickets/{t}/update/",
                {"status": "pending", "priority": "normal", "assignee": w.users["agent"].pk},
            )
        ],
        "customers:list": [("customers.list", "get", "/customers/", None)],
        "customers:export": [("customers.export", "get", "/customers/export.csv", None)],
        "customers:tiers": [("customers.analysis", "get", "/customers/tiers/", None)],
        "customers:imports": [
            ("customers.import", "get", "/customers/imports/", None),
        ],
        "customers:import_job": [
            ("customers.import", "get", f"/customers/imports/{w.job.pk}/", None)
        ],
        "customers:cleansing": [("customers.cleanse", "get", "/customers/cleansing/", None)],
        "customers:merge": [
            ("customers.merge", "get", f"/customers/{c}/merge/{d}/", None),
            ("customers.merge", "post", f"/customers/{c}/merge/{d}/", {}),
        ],
        "customers:detail": [("customers.view", "get", f"/customers/{c}/", None)],
        "customers:reveal": [
            ("customers.reveal", "post", f"/customers/{c}/reveal/", {"field": "phone"})
        ],
        "customers:personal_data_export": [
            ("customers.privacy", "get", f"/customers/{c}/personal-data.json", None)
        ],
        "customers:erase": [
            ("customers.privacy", "get", f"/customers/{c}/erase/", None),
            (
                "customers.privacy",
                "post",
                f"/customers/{c}/erase/",
                {"confirm_number": w.customer.number, "reason": "客户来电要求删除"},
            ),
        ],
        "customers:access_record": [("customers.privacy", "get", "/customers/privacy/", None)],
        "customers:edit": [("customers.change", "get", f"/customers/{c}/edit/", None)],
        "customers:win_back": [
            (
                "customers.change",
                "post",
                f"/customers/{c}/win-backs/",
                {"outcome": "interested", "note": "电话回访"},
            )
        ],
        "complaints:list": [("complaints.list", "get", "/complaints/", None)],
        "complaints:callbacks": [("complaints.callbacks", "get", "/complaints/callbacks/", None)],
        "complaints:alerts": [
            ("complaints.alerts", "get", "/complaints/alerts/", None),
            (
                "complaints.acknowledge",
                "post",
                "/complaints/alerts/",
                {"alert": str(w.alert.pk), "note": "已处理"},
            ),
        ],
        "complaints:analysis": [("complaints.analysis", "get", "/complaints/analysis/", None)],
        "complaints:qa": [("complaints.analysis", "get", "/complaints/qa/", None)],
        "complaints:action": [
            ("complaints.handle", "post", f"/complaints/{k}/answer/", {"body": "您好，马上处理"}),
            (
                "complaints.handle",
                "post",
                f"/complaints/{k}/dispatch/",
                {"department": w.other_department.pk, "note": "改派：属销售问题"},
            ),
            ("complaints.process", "post", f"/complaints/{k}/accept/", {}),
            ("complaints.process", "post", f"/complaints/{k}/result/", {"result": "已上门更换"}),
            ("complaints.handle", "post", f"/complaints/{k}/reopen/", {"reason": "客户不满意"}),
            (
                "complaints.recovery",
                "post",
                f"/complaints/{k}/recovery/",
                {"kind": "apology", "amount": "0", "description": "致歉"},
            ),
            (
                "complaints.score",
                "post",
                f"/complaints/{k}/score/",
                {
                    "right_department": 30,
                    "clear_description": 20,
                    "due_time_met": 25,
                    "reply_quality": 15,
                },
            ),
            ("complaints.classify", "post", f"/complaints/{k}/classify/", classification(w)),
        ],
        "sla:overview": [
            ("sla.report", "get", "/sla/", None),
            ("sla.duty", "post", "/sla/", {"on_duty": "1"}),
        ],
        "sla:duty": [("sla.duty", "post", "/sla/duty/", {"on_duty": "1"})],
        "sla:transfer": [
            (
                "tickets.transfer",
                "post",
                f"/sla/transfer/{t}/",
                {"reason": "客户要求换人", "assignee": w.users["supervisor"].pk},
            )
        ],
        "help:home": [("public", "get", "/help/", None)],
        "help:entry": [("public", "get", f"/help/faq/{w.faq.pk}/", None)],
        "help:vote": [("public", "post", f"/help/faq/{w.faq.pk}/vote/", {"helpful": "1"})],
        "help:ticket": [("public", "get", "/help/ticket/", None)],
        "help:verify": [
            ("public", "get", w.portal_link, None),
            ("public", "post", w.portal_link, {"code": "000000"}),
        ],
        "help:verify_send": [("public", "post", f"{w.portal_link}send/", {"channel": "sms"})],
        # The customer portal: staff are not signed in to it, so its pages send them to
        # the portal's own sign-in (a customer's pages are never a staff permission).
        "portal:sign_in": [
            ("public", "get", "/help/account/", None),
            ("public", "post", "/help/account/", {"contact": "nobody@example.com"}),
        ],
        "portal:sign_in_code": [("public", "post", "/help/account/code/", {"code": "000000"})],
        "portal:sign_in_link": [
            ("public", "get", "/help/account/link/1.x/", None),
            ("public", "post", "/help/account/link/1.x/", {}),
        ],
        "portal:sign_out": [("public", "post", "/help/account/logout/", {})],
        "portal:tickets": [("public", "get", "/help/my/", None)],
        "portal:ticket": [("public", "get", f"/help/my/{t}/", None)],
        "portal:reply": [("public", "post", f"/help/my/{t}/reply/", {"body": "补充"})],
        "portal:resolve": [("public", "post", f"/help/my/{t}/resolve/", {})],
        "portal:reopen": [("public", "post", f"/help/my/{t}/reopen/", {})],
        "portal:file": [("public", "get", f"/help/my/{t}/files/{w.attachment.pk}/", None)],
        "portal:guest": [("public", "get", w.guest_link, None)],
        "portal:guest_reply": [("public", "post", f"{w.guest_link}reply/", {"body": "补充"})],
        "portal:guest_resolve": [("public", "post", f"{w.guest_link}resolve/", {})],
        "portal:guest_reopen": [("public", "post", f"{w.guest_link}reopen/", {})],
        "portal:guest_file": [("public", "get", w.guest_file, None)],
        "notify:unsubscribe": [
            ("public", "get", f"/notify/unsubscribe/{unsubscribe_token(w.customer)}/", None),
            ("public", "post", f"/notify/unsubscribe/{unsubscribe_token(w.customer)}/", {}),
        ],
        # The SMS providers' receipt callbacks: the token, not a role, lets them in (an empty
        # body is a 400, past the token check).
        "sms:receipts": [
            ("public", "post", "/sms/receipts/aliyun/?token=matrix", {}),
            ("public", "post", "/sms/receipts/tencent/?token=matrix", {}),
        ],
        "kb:analytics": [("kb.analytics", "get", "/kb/analytics/", None)],
        "chat:console": [
            ("chat.console", "get", "/chat/", None),
            ("chat.work", "get", f"/chat/?session={w.chat.pk}", None),
        ],
        "chat:lists": [("chat.console", "get", "/chat/lists/", None)],
        "chat:seat": [("chat.console", "post", "/chat/seat/", {"ring_new_chat": "1"})],
        "chat:conversation": [("chat.work", "get", f"/chat/{w.chat.pk}/", None)],
        "chat:accept": [("chat.work", "post", f"/chat/{w.chat.pk}/accept/", {})],
        "chat:send": [
            ("chat.work", "post", f"/chat/{w.chat.pk}/send/", {"body": "您好", "kind": "reply"})
        ],
        "chat:transfer": [
            (
                "chat.work",
                "post",
                f"/chat/{w.chat.pk}/transfer/",
                {"reason": "需要主管处理", "assignee": str(w.users["supervisor"].pk)},
            )
        ],
        "chat:end": [("chat.work", "post", f"/chat/{w.chat.pk}/end/", {})],
        "surveys:follow_ups": [("surveys.follow_up", "get", "/surveys/follow-ups/", None)],
        "surveys:home": [("surveys.analysis", "get", "/surveys/", None)],
        "surveys:themes": [("surveys.analysis", "get", "/surveys/themes/", None)],
        "surveys:export": [
            ("surveys.analysis", "get", "/surveys/export.csv", None),
            ("surveys.analysis", "get", "/surveys/export.xlsx", None),
        ],
        "surveys:mine": [("me", "get", "/surveys/mine/", None)],
        "surveys:follow_up": [
            ("surveys.follow_up", "get", f"/surveys/follow-ups/{w.surveys['follow_up'].pk}/", None)
        ],
        "surveys:follow_up_done": [
            (
                "surveys.follow_up",
                "post",
                f"/surveys/follow-ups/{w.surveys['follow_up'].pk}/done/",
                {"outcome": "已回访"},
            )
        ],
        "surveys:questionnaires": [("surveys.manage", "get", "/surveys/questionnaires/", None)],
        "surveys:questionnaire_new": [
            ("surveys.manage", "get", "/surveys/questionnaires/new/", None),
            (
                "surveys.manage",
                "post",
                "/surveys/questionnaires/new/",
                {"title": "新问卷", "purpose": "sample", "body": json.dumps(QUESTIONNAIRE_BODY)},
            ),
        ],
        "surveys:questionnaire": [
            (
                "surveys.manage",
                "get",
                f"/surveys/questionnaires/{w.surveys['questionnaire'].pk}/",
                None,
            ),
            (
                "surveys.manage",
                "post",
                f"/surveys/questionnaires/{w.surveys['questionnaire'].pk}/",
                {"title": "门店调查", "purpose": "sample", "body": json.dumps(QUESTIONNAIRE_BODY)},
            ),
        ],
        "surveys:questionnaire_preview": [
            (
                "surveys.manage",
                "get",
                f"/surveys/questionnaires/{w.surveys['questionnaire'].pk}/preview/",
                None,
            ),
            (
                "surveys.manage",
                "post",
                f"/surveys/questionnaires/{w.surveys['questionnaire'].pk}/preview/",
                {"body": json.dumps(QUESTIONNAIRE_BODY)},
            ),
        ],
        "surveys:questionnaire_versions": [
            (
                "surveys.manage",
                "get",
                f"/surveys/questionnaires/{w.surveys['questionnaire'].pk}/versions/",
                None,
            )
        ],
        "surveys:questionnaire_archive": [
            (
                "surveys.manage",
                "post",
                f"/surveys/questionnaires/{w.surveys['questionnaire'].pk}/archive/",
                {"archived": "1"},
            )
        ],
        "survey_public:answer": [
            ("public", "get", f"/s/q/{w.surveys['invitation'].token}/", None),
            ("public", "post", f"/s/q/{w.surveys['invitation'].token}/", {"q-Q1": "5"}),
        ],
        "survey_public:open": [
            ("public", "get", f"/s/o/{w.surveys['open_link'].public_token}/", None),
            ("public", "post", f"/s/o/{w.surveys['open_link'].public_token}/", {"q-Q1": "4"}),
        ],
        "survey_public:rate": [
            ("public", "get", w.surveys["rate_link"], None),
            ("public", "post", w.surveys["rate_link"], {"rating": "5"}),
        ],
        "surveys:evaluations": [("surveys.evaluation.read", "get", "/surveys/evaluations/", None)],
        "surveys:evaluation_new": [
            ("surveys.manage", "get", "/surveys/evaluations/new/", None),
            (
                "surveys.manage",
                "post",
                "/surveys/evaluations/new/",
                {"name": "季度测评", "period_start": "2026-01-01", "period_end": "2026-03-31"},
            ),
        ],
        "surveys:evaluation": [
            ("surveys.manage", "get", f"/surveys/evaluations/{w.surveys['evaluation'].pk}/", None)
        ],
        "surveys:evaluation_save": [
            (
                "surveys.manage",
                "post",
                f"/surveys/evaluations/{w.surveys['evaluation'].pk}/save/",
                {"findings": "及时性待提高"},
            )
        ],
        "surveys:evaluation_advance": [
            (
                "surveys.manage",
                "post",
                f"/surveys/evaluations/{w.surveys['evaluation'].pk}/advance/",
                {"to": "analyse"},
            )
        ],
        "surveys:evaluation_analyse": [
            (
                "surveys.manage",
                "post",
                f"/surveys/evaluations/{w.surveys['evaluation'].pk}/analyse/",
                {},
            )
        ],
        "surveys:evaluation_issue": [
            (
                "surveys.manage",
                "post",
                f"/surveys/evaluations/{w.surveys['evaluation'].pk}/issue/",
                {},
            )
        ],
        "surveys:evaluation_report": [
            (
                "surveys.evaluation.read",
                "get",
                f"/surveys/evaluations/{w.surveys['evaluation'].pk}/report/",
                None,
            )
        ],
        "surveys:distributions": [("surveys.manage", "get", "/surveys/distributions/", None)],
        "surveys:distribution_new": [
            ("surveys.manage", "get", "/surveys/distributions/new/", None)
        ],
        "surveys:distribution": [
            ("surveys.manage", "get", f"/surveys/distributions/{w.surveys['draft'].pk}/", None)
        ],
        "surveys:distribution_edit": [
            (
                "surveys.manage",
                "get",
                f"/surveys/distributions/{w.surveys['draft'].pk}/edit/",
                None,
            )
        ],
        "surveys:distribution_open": [
            ("surveys.manage", "post", f"/surveys/distributions/{w.surveys['draft'].pk}/open/", {})
        ],
        "surveys:distribution_close": [
            (
                "surveys.manage",
                "post",
                f"/surveys/distributions/{w.surveys['draft'].pk}/close/",
                {},
            )
        ],
        "surveys:distribution_print": [
            (
                "surveys.manage",
                "get",
                f"/surveys/distributions/{w.surveys['card'].pk}/print/",
                None,
            )
        ],
        "surveys:distribution_qr": [
            ("surveys.manage", "get", f"/surveys/distributions/{w.surveys['card'].pk}/qr.svg", None)
        ],
        "surveys:phone_surveys": [("surveys.enter", "get", "/surveys/phone/", None)],
        "surveys:phone_invitees": [
            ("surveys.enter", "get", f"/surveys/phone/{w.surveys['phone'].pk}/", None)
        ],
        "surveys:phone_entry": [
            (
                "surveys.enter",
                "get",
                f"/surveys/phone/{w.surveys['phone'].pk}/{w.surveys['phone_invitation'].pk}/",
                None,
            ),
            (
                "surveys.enter",
                "post",
                f"/surveys/phone/{w.surveys['phone'].pk}/{w.surveys['phone_invitation'].pk}/",
                {"q-Q1": "5"},
            ),
        ],
        "notifications": [("notifications", "get", "/notifications/", None)],
        **quality_views(w),
        "admin_site": [("admin_site", "get", "/admin/", None)],
    }


def quality_operations(w: World) -> dict[str, tuple[str, str, dict | None]]:
    q, t, root = w.quality, w.ticket.pk, "/api/v1/quality"
    queued, submitted, users = q["queued"].pk, q["submitted"].pk, w.users
    return {
        f"GET {root}/scorecards": ("quality.inspect", f"{root}/scorecards", None),
        f"POST {root}/scorecards": (
            "quality.manage",
            f"{root}/scorecards",
            {"name": "新评分表", "items": [{"key": "a", "label": "问候", "weight": 10}]},
        ),
        f"GET {root}/scorecards/{{scorecard_id}}": (
            "quality.inspect",
            f"{root}/scorecards/{q['scorecard'].pk}",
            None,
        ),
        f"GET {root}/plans": ("quality.inspect", f"{root}/plans", None),
        f"POST {root}/plans": (
            "quality.manage",
            f"{root}/plans",
            {"name": "每周抽检", "kind": "agent_share", "inspectors": [users["qa"].pk]},
        ),
        f"POST {root}/plans/{{plan_id}}/run": (
            "quality.manage",
            f"{root}/plans/{q['plan'].pk}/run",
            {},
        ),
        f"GET {root}/inspections": ("quality.results", f"{root}/inspections", None),
        f"POST {root}/inspections": ("quality.inspect", f"{root}/inspections", {"ticket": t}),
        f"GET {root}/inspections/{{inspection_id}}": (
            "quality.results",
            f"{root}/inspections/{submitted}",
            None,
        ),
        f"PUT {root}/inspections/{{inspection_id}}/score": (
            "quality.inspect",
            f"{root}/inspections/{queued}/score",
            {"items": {"listening": {"result": "pass"}}},
        ),
        f"POST {root}/inspections/{{inspection_id}}/submit": (
            "quality.inspect",
            f"{root}/inspections/{queued}/submit",
            {},
        ),
        f"POST {root}/inspections/{{inspection_id}}/appeal": (
            "quality.appeal",
            f"{root}/inspections/{submitted}/appeal",
            {"reason": "我已致谢"},
        ),
        f"GET {root}/appeals": ("quality.decide", f"{root}/appeals", None),
        f"POST {root}/appeals/{{appeal_id}}/decide": (
            "quality.decide",
            f"{root}/appeals/{q['appeal'].pk}/decide",
            {"decision": "upheld"},
        ),
        f"GET {root}/calibrations": ("quality.inspect", f"{root}/calibrations", None),
        f"POST {root}/calibrations": (
            "quality.inspect",
            f"{root}/calibrations",
            {"name": "校准二", "ticket": t, "inspectors": [users["qa"].pk, users["admin"].pk]},
        ),
        f"GET {root}/calibrations/{{session_id}}": (
            "quality.inspect",
            f"{root}/calibrations/{q['calibration'].pk}",
            None,
        ),
        f"GET {root}/mystery-tasks": ("quality.inspect", f"{root}/mystery-tasks", None),
        f"POST {root}/mystery-tasks": (
            "quality.manage",
            f"{root}/mystery-tasks",
            {
                "title": "测试邮件",
                "script": "询问退货",
                "channel": "email",
                "due_date": timezone.localdate().isoformat(),
                "inspector": users["qa"].pk,
            },
        ),
        f"POST {root}/mystery-tasks/{{task_id}}/link": (
            "quality.inspect",
            f"{root}/mystery-tasks/{q['mystery'].pk}/link",
            {"ticket": t},
        ),
        f"GET {root}/figures": ("quality.figures", f"{root}/figures", None),
    }


def quality_views(w: World) -> dict[str, list[tuple[str, str, str, dict | None]]]:
    q = w.quality
    queued, submitted = q["queued"].pk, q["submitted"].pk
    return {
        "quality:queue": [("quality.inspect", "get", "/quality/", None)],
        "quality:inspection_new": [
            ("quality.inspect", "post", "/quality/inspections/new/", {"ticket": w.ticket.number})
        ],
        "quality:inspection": [
            ("quality.results", "get", f"/quality/inspections/{submitted}/", None),
            (
                "quality.inspect",
                "post",
                f"/quality/inspections/{queued}/",
                {"result_listening": "pass"},
            ),
        ],
        "quality:appeal": [
            (
                "quality.appeal",
                "post",
                f"/quality/inspections/{submitted}/appeal/",
                {"reason": "我已致谢"},
            )
        ],
        "quality:results": [("quality.own", "get", "/quality/mine/", None)],
        "quality:appeals": [("quality.decide", "get", "/quality/appeals/", None)],
        "quality:appeal_decide": [
            (
                "quality.decide",
                "post",
                f"/quality/appeals/{q['appeal'].pk}/decide/",
                {"decision": "upheld"},
            )
        ],
        "quality:calibrations": [("quality.inspect", "get", "/quality/calibrations/", None)],
        "quality:calibration": [
            ("quality.inspect", "get", f"/quality/calibrations/{q['calibration'].pk}/", None)
        ],
        "quality:mystery": [
            ("quality.inspect", "get", "/quality/mystery/", None),
            (
                "quality.manage",
                "post",
                "/quality/mystery/",
                {
                    "title": "测试邮件",
                    "script": "询问退货",
                    "channel": "email",
                    "due_date": timezone.localdate().isoformat(),
                    "inspector": str(w.users["qa"].pk),
                },
            ),
        ],
        "quality:mystery_link": [
            (
                "quality.inspect",
                "post",
                f"/quality/mystery/{q['mystery'].pk}/link/",
                {"ticket": w.ticket.number},
            )
        ],
        "quality:figures": [("quality.figures", "get", "/quality/figures/", None)],
    }


def test_every_api_operation_and_ui_view_is_in_the_matrix(world):
    schema = api.get_openapi_schema()
    operations = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    listed = set(api_operations(world, "agent"))
    assert operations - listed == set(), "API operations missing from the role matrix"
    assert listed - operations == set(), "role matrix names API operations that do not exist"
    views = set(ui_views(world))
    missing_ui = ui_names() - views
    assert missing_ui == set(), "UI views missing from the role matrix"
    used = {action for rows in ui_views(world).values() for action, *_ in rows}
    used |= {row[0] for row in api_operations(world, "agent").values()}
    assert used <= set(ACTIONS)


def judge(label: str, role: str, action: str, response, seen: dict, problems: list) -> None:
    """Record who was let through, and what disagrees with the role table."""
    if response.status_code >= 500:
        problems.append(f"{label} as {role}: {response.status_code}")
    if allowed(response):
        seen.setdefault(action, set()).add(role)
    expected = role in ACTIONS[action]
    if allowed(response) != expected:
        problems.append(
            f"{label} as {role}: {response.status_code}, "
            f"but the role table says {'allowed' if expected else 'refused'}"
        )


def observe(world) -> tuple[dict, dict, list[str]]:
    """(action → roles the API allowed, action → roles the UI allowed, problems)."""
    api_allowed: dict[str, set] = {}
    ui_allowed: dict[str, set] = {}
    problems: list[str] = []
    for role in ROLES:
        user = world.users[role]
        _token, raw = do_token_create(user=user)
        headers = {"Authorization": f"Bearer {raw}"}
        api_client = Client(raise_request_exception=False)
        for key, (action, path, body) in api_operations(world, role).items():
            response = in_rollback(lambda: api_call(api_client, headers, key, path, body))  # noqa: B023
            judge(f"API {key}", role, action, response, api_allowed, problems)
        ui_client = Client(raise_request_exception=False)
        ui_client.force_login(user)
        for name, rows in ui_views(world).items():
            for action, method, path, data in rows:
                response = in_rollback(
                    lambda: getattr(ui_client, method)(path, data or {})  # noqa: B023
                )
                label = f"UI {name} {method.upper()} {path}"
                judge(label, role, action, response, ui_allowed, problems)
    return api_allowed, ui_allowed, problems


def test_ui_and_api_refuse_the_same_roles_as_the_role_table(world):
    api_allowed, ui_allowed, problems = observe(world)
    for action in sorted(set(api_allowed) | set(ui_allowed)):
        both = action in api_allowed and action in ui_allowed
        if both and api_allowed[action] != ui_allowed[action]:
            problems.append(
                f"{action}: the API allows {sorted(api_allowed[action])}, "
                f"the UI allows {sorted(ui_allowed[action])}"
            )
    assert problems == [], "\n".join(problems)
