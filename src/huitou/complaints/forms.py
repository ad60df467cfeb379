from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from huitou.accounts.models import Department
from huitou.core.errors import DomainError
from huitou.core.forms import DateField, DateInput, DateTimeField
from huitou.core.periods import checked_period

from .models import DISPATCH_RUBRIC, Complaint, RecoveryAction, State

TEXTAREA = {"rows": 3}


class ClassificationForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = [
            "severity", "behaviour", "purpose", "cause", "product", "compensation_demand",
            "who", "what", "when", "where", "why", "how",
            "validity", "validity_reason", "demand", "solution_offered", "solution_accepted",
            "reply_mode", "promised_date",
        ]  # fmt: skip
        widgets = {
            "demand": forms.Textarea(attrs=TEXTAREA),
            "solution_offered": forms.Textarea(attrs=TEXTAREA),
            "promised_date": DateInput,
            "solution_accepted": forms.NullBooleanSelect,
        }


class ReplyBodyForm(forms.Form):
    """答复 / 当即答复: the text goes to the customer, so it passes the forbidden-phrase check."""

    body = forms.CharField(
        label=_("答复内容"),
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "class": "reply-body",
                # Warn while typing, as the main reply box does.
                "hx-post": reverse_lazy("tickets:phrase_check"),
                "hx-trigger": "input changed delay:500ms",
                "hx-target": "next .phrase-warning",
            }
        ),
    )
    confirm_forbidden = forms.BooleanField(label=_("已知悉忌语提醒，仍然发送"), required=False)


class DispatchForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("责任部门"),
        # 派单 goes to the responsible departments, not back to the service centre.
        queryset=Department.objects.filter(kind=Department.Kind.RESPONSIBLE),
    )
    due_at = DateTimeField(label=_("处理时限"), required=False, help_text=_("留空则按规则默认时限"))
    note = forms.CharField(
        label=_("派单说明 / 改派原因"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )


class AcceptForm(forms.Form):
    """接单 takes no input."""


class ResultForm(forms.Form):
    result = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 4}))


class CallbackForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=_("是否接通"),
        choices=[("1", _("已接通")), ("0", _("未接通"))],
        coerce=lambda value: value == "1",
        initial="1",
    )
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"),
        choices=[("", "—"), *[(str(n), f"{n}") for n in range(5, 0, -1)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    reopen = forms.TypedChoiceField(
        label=_("不满意时"),
        choices=[("", _("按规则")), ("1", _("重新打开")), ("0", _("仍然结案"))],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=_("回访记录"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重新打开原因"), widget=forms.Textarea(attrs=TEXTAREA))


class RecoveryForm(forms.Form):
    kind = forms.ChoiceField(label=_("补救方式"), choices=RecoveryAction.Kind.choices)
    amount = forms.DecimalField(
        label=_("金额/成本（元）"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    description = forms.CharField(label=_("说明"), required=False, max_length=500)


class ScoreForm(forms.Form):
    right_department = forms.IntegerField(
        label=_("派单部门准确"), min_value=0, max_value=DISPATCH_RUBRIC["right_department"]
    )
    clear_description = forms.IntegerField(
        label=_("问题描述清楚"), min_value=0, max_value=DISPATCH_RUBRIC["clear_description"]
    )
    due_time_met = forms.IntegerField(
        label=_("按时限完成"), min_value=0, max_value=DISPATCH_RUBRIC["due_time_met"]
    )
    reply_quality = forms.IntegerField(
        label=_("答复质量"), min_value=0, max_value=DISPATCH_RUBRIC["reply_quality"]
    )
    comment = forms.CharField(
        label=_("评语"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, maximum in DISPATCH_RUBRIC.items():
            self.fields[name].help_text = _("满分 %(max)d") % {"max": maximum}


class ComplaintFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), ("active", _("未结案"))],
    )
    major = forms.BooleanField(label=_("仅重大投诉"), required=False)
    overdue = forms.BooleanField(label=_("仅逾期派单"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices += State.choices


class PeriodForm(forms.Form):
    start = DateField(label=_("开始日期"), required=False)
    end = DateField(label=_("结束日期"), required=False)

    def period(self):
        """The period asked for, checked by the same rule as the API; None when invalid."""
        if not self.is_valid():
            return None
        try:
            return checked_period(self.cleaned_data["start"], self.cleaned_data["end"])
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            return None
