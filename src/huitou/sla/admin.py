"""The service standards in the Django admin: calendars with their holidays and make-up days,
SLA policies with their escalation steps, queues with their members, and each agent's duty,
capacity and skills. Every form checks with the same rules as the API (services.check_*),
so the admin cannot save what the API would refuse."""

import re
from copy import copy

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huitou.accounts.selectors import assignable_agents
from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.tickets.models import TicketType

from .business_time import WEEKDAYS
from .calendars import parse_day_list
from .defaults import STEPS
from .models import AgentStatus, BusinessCalendar, CalendarDay, EscalationStep, Queue, SlaPolicy
from .routing import check_agent_status
from .services import check_calendar, check_escalation_step, check_policy, do_calendar_days_set

WEEKDAY_LABELS = {
    "mon": _("周一"),
    "tue": _("周二"),
    "wed": _("周三"),
    "thu": _("周四"),
    "fri": _("周五"),
    "sat": _("周六"),
    "sun": _("周日"),
}
HOURS_HELP = _("如 09:00-12:00, 13:30-18:00；留空为休息日")
INTERVAL = re.compile(r"(\d{1,2}:\d{2})\s*[-~–—至到]\s*(\d{1,2}:\d{2})")


def parse_hours_text(text: str) -> list[list[str]]:
    """'09:00-12:00, 13:30-18:00' → [["09:00", "12:00"], ["13:30", "18:00"]]."""
    text = (text or "").strip()
    rest = INTERVAL.sub("", text).strip(" ,，;；、\t")
    if rest:
        raise forms.ValidationError(
            gettext("无法识别“%(part)s”，请写成 09:00-12:00, 13:30-18:00。") % {"part": rest}
        )
    return [[start.zfill(5), end.zfill(5)] for start, end in INTERVAL.findall(text)]


def hours_text(intervals) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or [])


def _hours_field(day: str) -> forms.CharField:
    return forms.CharField(label=WEEKDAY_LABELS[day], required=False, help_text=HOURS_HELP)


def staff_offered():
    """Who may be a queue member or have a duty status: people who take tickets, never a
    service account such as the FAQ bot."""
    return assignable_agents().filter(is_service_account=False).order_by("username")


class CalendarAdminForm(forms.ModelForm):
    """Weekly hours one weekday per line, the make-up day's hours, and a holiday file."""

    hours_mon = _hours_field("mon")
    hours_tue = _hours_field("tue")
    hours_wed = _hours_field("wed")
    hours_thu = _hours_field("thu")
    hours_fri = _hours_field("fri")
    hours_sat = _hours_field("sat")
    hours_sun = _hours_field("sun")

    workday_hours_text = forms.CharField(
        label=_("调休日工作时间"),
        required=False,
        help_text=_("留空则按第一个有工作时间的工作日"),
    )
    days_file = forms.FileField(
        label=_("导入节假日与调休"),
        required=False,
        help_text=_(
            "CSV（日期,类别,说明；类别为 holiday/节假日 或 workday/调休）或 iCalendar（.ics）文件"
        ),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance.hours or {}
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"].initial = hours_text(hours.get(day))
        if self.instance.workday_hours is not None:
            self.fields["workday_hours_text"].initial = hours_text(self.instance.workday_hours)
        self.day_rows: list = []

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for day in WEEKDAYS:
            try:
                intervals = parse_hours_text(cleaned.get(f"hours_{day}", ""))
            except forms.ValidationError as error:
                self.add_error(f"hours_{day}", error)
                continue
            if intervals:
                hours[day] = intervals
        try:
            workday_text = cleaned.get("workday_hours_text", "")
            workday_hours = parse_hours_text(workday_text) if workday_text.strip() else None
        except forms.ValidationError as error:
            self.add_error("workday_hours_text", error)
            workday_hours = None
        upload = cleaned.get("days_file")
        if upload is not None:
            try:
                self.day_rows = parse_day_list(
                    upload.read().decode("utf-8-sig"), filename=upload.name
                )
            except (UnicodeDecodeError, ValueError) as error:
                self.add_error("days_file", str(error))
            kinds: dict = {}
            for day, kind, _label in self.day_rows:
                if kinds.setdefault(day, kind) != kind:
                    self.add_error(
                        "days_file",
                        gettext("同一天不能既是节假日又是调休工作日：%(day)s") % {"day": day},
                    )
                    break
        if self.errors:
            return cleaned
        try:
            compiled = check_calendar(
                timezone=cleaned.get("timezone") or "",
                hours=hours,
                workday_hours=workday_hours,
            )
            if self.instance.pk:  # the policies on this calendar must still reach their targets
                for policy in SlaPolicy.objects.filter(calendar=self.instance):
                    try:
                        check_policy(policy, calendar=compiled)
                    except DomainError as error:
                        raise DomainError(
                            gettext("策略“%(policy)s”：%(error)s")
                            % {"policy": policy.name, "error": error.message},
                            field="hours",
                        ) from None
        except DomainError as error:
            add_domain_error(
                self, error, field_map={"hours": None, "workday_hours": "workday_hours_text"}
            )
        self.instance.hours = hours
        self.instance.workday_hours = workday_hours
        return cleaned


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    fields = ["date", "kind", "name"]
    extra = 1
    ordering = ["-date"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = CalendarAdminForm
    inlines = [CalendarDayInline]
    list_display = ["name", "timezone", "weekly_hours", "day_count", "updated_at"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "timezone"]}),
        (_("每周工作时间"), {"fields": [f"hours_{day}" for day in WEEKDAYS]}),
        (_("调休日与批量导入"), {"fields": ["workday_hours_text", "days_file"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(day_total=Count("days"))

    @admin.display(description=_("每周工作时间"))
    def weekly_hours(self, calendar: BusinessCalendar) -> str:
        return "; ".join(
            f"{WEEKDAY_LABELS[day]} {hours_text(calendar.hours[day])}"
            for day in WEEKDAYS
            if (calendar.hours or {}).get(day)
        )

    @admin.display(description=_("节假日与调休"), ordering="day_total")
    def day_count(self, calendar: BusinessCalendar) -> int:
        return calendar.day_total

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.day_rows:  # checked in the form, as the service checks them
            do_calendar_days_set(actor=request.user, calendar=form.instance, rows=form.day_rows)
        # The days changed after the calendar row: touch it, so every process rebuilds it.
        form.instance.save(update_fields=["updated_at"])


class EscalationStepForm(forms.ModelForm):
    class Meta:
        model = EscalationStep
        fields = ["metric", "trigger", "value", "action"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            step = EscalationStep(
                metric=cleaned.get("metric"),
                trigger=cleaned.get("trigger"),
                value=cleaned.get("value"),
                action=cleaned.get("action"),
            )
            try:
                check_escalation_step(step)
            except DomainError as error:
                add_domain_error(self, error)
        return cleaned


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    form = EscalationStepForm
    extra = 0


class PolicyAdminForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "name", "order", "active", "calendar", "tier", "ticket_type", "priority", "channel",
            "first_response_minutes", "next_response_minutes", "resolution_minutes",
            "dispatch_minutes", "department_result_minutes", "at_risk_percent",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        policy = copy(self.instance)
        for name, value in cleaned.items():
            setattr(policy, name, value)
        try:
            check_policy(policy)
        except DomainError as error:
            add_domain_error(self, error)
        return cleaned


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = PolicyAdminForm
    inlines = [EscalationStepInline]
    list_display = [
        "name", "order", "active", "tier", "ticket_type", "priority", "channel", "calendar",
        "first_response_minutes", "resolution_minutes",
    ]  # fmt: skip
    list_filter = ["active", "tier", "ticket_type", "priority", "channel", "calendar"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    ordering = ["order", "id"]
    fieldsets = [
        (None, {"fields": ["name", "order", "active", "calendar"]}),
        (_("适用条件（留空为不限）"), {"fields": ["tier", "ticket_type", "priority", "channel"]}),
        (
            _("时限（工作分钟）"),
            {
                "fields": [
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    "dispatch_minutes",
                    "department_result_minutes",
                    "at_risk_percent",
                ]
            },
        ),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        policy = form.instance
        if not change and not policy.steps.exists():  # as the API: the standard steps
            EscalationStep.objects.bulk_create(
                EscalationStep(
                    policy=policy, metric=metric, trigger=trigger, value=value, action=action
                )
                for metric, trigger, value, action in STEPS
            )


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = [
        "name", "order", "active", "tier", "ticket_type", "department", "channel", "strategy",
        "member_count",
    ]  # fmt: skip
    list_filter = ["active", "strategy", "channel", "tier", "ticket_type", "department"]
    list_select_related = ["department"]
    search_fields = ["name", "members__username", "members__last_name", "members__first_name"]
    filter_horizontal = ["members"]
    readonly_fields = ["last_assigned"]
    ordering = ["order", "id"]
    fieldsets = [
        (None, {"fields": ["name", "order", "active", "strategy", "calendar"]}),
        (_("适用条件（留空为不限）"), {"fields": ["tier", "ticket_type", "department", "channel"]}),
        (_("成员"), {"fields": ["members", "last_assigned"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("成员数"), ordering="member_total")
    def member_count(self, queue: Queue) -> int:
        return queue.member_total

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":  # people who take tickets, never the bot
            kwargs["queryset"] = staff_offered()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class AgentStatusForm(forms.ModelForm):
    skills = forms.MultipleChoiceField(
        label=_("技能"),
        choices=TicketType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则可处理所有类型的工单"),
    )

    class Meta:
        model = AgentStatus
        fields = ["user", "on_duty", "capacity", "skills"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = staff_offered()

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            status = copy(self.instance)
            status.capacity = cleaned.get("capacity")
            status.skills = list(cleaned.get("skills") or [])
            try:
                check_agent_status(status)
            except DomainError as error:
                add_domain_error(self, error)
        return cleaned


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin):
    form = AgentStatusForm
    list_display = ["user", "on_duty", "capacity", "skill_list", "updated_at"]
    list_filter = ["on_duty"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    @admin.display(description=_("技能"))
    def skill_list(self, status: AgentStatus) -> str:
        labels = dict(TicketType.choices)
        return "、".join(str(labels.get(skill, skill)) for skill in status.skills) or gettext(
            "全部"
        )
