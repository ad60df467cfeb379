from django import forms
from django.utils.translation import gettext_lazy as _

from huitou.accounts.forms import StaffChoiceField
from huitou.accounts.models import Department, User
from huitou.customers.models import CustomerKind, Tier

from .models import Priority, Status, TicketType

INBOX_VIEW_CHOICES = [
    ("all", _("全部")),
    ("mine", _("我的")),
    ("unassigned", _("未分配")),
    ("department", _("本部门")),
]


class InboxFilterForm(forms.Form):
    view = forms.ChoiceField(choices=INBOX_VIEW_CHOICES, required=False)
    q = forms.CharField(label=_("搜索"), required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("active", _("未解决")), *Status.choices],
    )
    type = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部类型")), *TicketType.choices]
    )
    priority = forms.ChoiceField(
        label=_("优先级"), required=False, choices=[("", _("全部优先级")), *Priority.choices]
    )
    tier = forms.ChoiceField(
        label=_("客户等级"), required=False, choices=[("", _("全部等级")), *Tier.choices]
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {"view": "all"}
        data = dict(self.cleaned_data)
        data["view"] = data.get("view") or "all"
        return data


class PhoneTicketForm(forms.Form):
    """A call taken by an agent: find the caller by phone, or file a new customer inline."""

    phone = forms.CharField(label=_("来电号码"), max_length=32)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer_name = forms.CharField(label=_("客户姓名"), max_length=100, required=False)
    # Asked only of a caller the lookup does not know: a known caller keeps their record.
    customer_kind = forms.ChoiceField(
        label=_("客户类型"),
        choices=CustomerKind.choices,
        initial=CustomerKind.INDIVIDUAL,
        required=False,
    )
    type = forms.ChoiceField(label=_("工单类型"), choices=TicketType.choices)
    priority = forms.ChoiceField(
        label=_("优先级"), choices=Priority.choices, initial=Priority.NORMAL
    )
    subject = forms.CharField(label=_("主题"), max_length=200)
    description = forms.CharField(
        label=_("来电记录（5W1H）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("谁、什么事、何时、何地、为什么、如何处理"),
    )
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all(), required=False
    )

    CALLER_FIELDS = ("phone", "customer_id", "customer_name", "customer_kind")

    def clean_customer_kind(self) -> str:
        return self.cleaned_data["customer_kind"] or CustomerKind.INDIVIDUAL

    def new_customer_fields(self) -> list:
        """What a caller without a record is asked (shown by the caller lookup)."""
        return [self["customer_name"], self["customer_kind"]]

    def ticket_fields(self) -> list:
        return [self[name] for name in self.fields if name not in self.CALLER_FIELDS]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("内容"), widget=forms.Textarea(attrs={"rows": 4, "class": "reply-body"})
    )
    public = forms.BooleanField(label=_("公开回复客户"), required=False, initial=True)
    confirm_forbidden = forms.BooleanField(label=_("已知悉忌语提醒，仍然发送"), required=False)


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=Status.choices)
    priority = forms.ChoiceField(label=_("优先级"), choices=Priority.choices)
    assignee = StaffChoiceField(label=_("处理人"), queryset=User.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=Department.objects.all(), required=False
    )

    def __init__(self, *args, assignee_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignee_queryset is not None:
            self.fields["assignee"].queryset = assignee_queryset
