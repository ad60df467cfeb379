"""Roles are Django groups; this module says which model permissions each one carries."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("客服坐席")
    SUPERVISOR = "supervisor", _("主管")
    MANAGER = "manager", _("管理层")
    QA = "qa", _("质检员")
    HANDLER = "handler", _("责任部门处理人")
    ADMIN = "admin", _("管理员")


# When a user is in several groups, the first match here is their role.
ROLE_ORDER = [Role.ADMIN, Role.SUPERVISOR, Role.MANAGER, Role.QA, Role.AGENT, Role.HANDLER]

# Personal information (PIPL): the desk (agents, supervisors) and admins work with the
# customer's full phone, e-mail and ID number (view_personal_data). QA inspectors and
# department handlers see them masked (138****8000) and may reveal one on a click, which is
# recorded (reveal_personal_data); management sees them masked only. Supervisors and admins
# answer a customer's request to see, copy or delete their data and read the access record
# (manage_personal_data).
_AGENT = {
    "customers": ["view_customer", "add_customer", "change_customer", "view_personal_data"],
    "tickets": [
        "view_ticket",
        "add_ticket",
        "change_ticket",
        "view_all_tickets",
        "add_message",
        "reply_to_customer",
        "dispatch_ticket",
    ],
    "accounts": ["view_department"],
    "complaints": ["view_complaint", "change_complaint", "handle_complaint"],
    "surveys": ["enter_survey_answers"],  # phone surveys: the agent keys in the answers
    "quality": ["view_own_quality"],  # their own QA results, and one appeal each
}

ROLE_PERMISSIONS: dict[Role, dict[str, list[str]] | str] = {
    Role.AGENT: _AGENT,
    Role.SUPERVISOR: {
        **_AGENT,
        "customers": [*_AGENT["customers"], "cleanse_customers", "manage_personal_data"],
        "tickets": [*_AGENT["tickets"], "assign_ticket"],
        "accounts": ["view_department", "view_user"],
        "complaints": [
            *_AGENT["complaints"],
            "process_dispatch",
            "view_complaint_analysis",
            "acknowledge_crisis",
        ],
        "core": ["view_reports"],
        "surveys": [
            "enter_survey_answers",
            "manage_surveys",
            "view_survey_analysis",
            "follow_up_rating",
        ],
        "quality": [
            "view_own_quality",
            "inspect_conversations",
            "manage_scorecards",
            "decide_appeals",
            "view_quality_figures",
        ],
    },
    # Management and the service-supervision department: read everything, analyse, alerts.
    Role.MANAGER: {
        "customers": ["view_customer"],
        "tickets": ["view_ticket", "view_all_tickets"],
        "accounts": ["view_department", "view_user"],
        "complaints": ["view_complaint", "view_complaint_analysis", "acknowledge_crisis"],
        "core": ["view_reports"],
        "surveys": ["view_survey_analysis"],
        "quality": ["view_quality_figures"],
    },
    Role.QA: {
        "customers": ["view_customer", "reveal_personal_data"],
        "tickets": ["view_ticket", "view_all_tickets", "add_message"],
        "accounts": ["view_department", "view_user"],
        "complaints": ["view_complaint", "score_dispatch", "view_complaint_analysis"],
        "core": ["view_reports"],
        "surveys": ["manage_surveys", "view_survey_analysis"],
        "quality": ["inspect_conversations", "view_quality_figures"],
    },
    # Handlers see only their department's tickets: they lack view_all_tickets.
    Role.HANDLER: {
        "customers": ["view_customer", "reveal_personal_data"],
        "tickets": ["view_ticket", "change_ticket", "add_message", "reply_to_customer"],
        "accounts": ["view_department"],
        "complaints": ["view_complaint", "process_dispatch"],
    },
    Role.ADMIN: "__all__",
}


def ensure_role_groups() -> None:
    """Create the role groups and set their permissions exactly; safe to run repeatedly."""
    for role, spec in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        if spec == "__all__":
            permissions = Permission.objects.all()
        else:
            query = models.Q(pk__in=[])
            for app_label, codenames in spec.items():
                query |= models.Q(content_type__app_label=app_label, codename__in=codenames)
            permissions = Permission.objects.filter(query)
        group.permissions.set(permissions)


def ensure_role_groups_after_migrate(sender, **kwargs) -> None:
    """Runs once, after the last app's permissions exist."""
    if sender is list(apps.get_app_configs())[-1]:
        ensure_role_groups()
