from django import forms
from django.utils.translation import gettext_lazy as _

from huitou.core.errors import DomainError, check_text

from .models import (
    Customer,
    CustomerKind,
    ImportJob,
    PersonalDataAccess,
    Stage,
    Tier,
    WinBackFollowUp,
)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    tier = forms.ChoiceField(
        label=_("价值等级"), required=False, choices=[("", _("全部等级")), *Tier.choices]
    )
    stage = forms.ChoiceField(
        label=_("阶段"), required=False, choices=[("", _("全部阶段")), *Stage.choices]
    )
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部类型")), *CustomerKind.choices]
    )
    tag = forms.CharField(label=_("标签"), required=False)
    loss_risk = forms.NullBooleanField(
        label=_("流失风险"),
        required=False,
        widget=forms.Select(
            choices=[
                ("", _("流失风险：不限")),
                ("true", _("有流失风险")),
                ("false", _("无流失风险")),
            ]
        ),
    )
    qualification = forms.ChoiceField(
        label=_("资格审查"),
        required=False,
        choices=[
            ("", _("资格审查：不限")),
            ("ideal", _("理想目标客户")),
            ("find_decider", _("需找到决策人")),
            ("check_credit", _("需调查信用")),
            ("skilled_selling", _("需激发需求")),
        ],
    )


class WinBackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结果"), choices=WinBackFollowUp.Outcome.choices)
    note = forms.CharField(
        label=_("记录"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
    mapping = forms.CharField(
        label=_("列映射（可选）"),
        required=False,
        help_text=_("文件列=字段，用逗号分隔，例如：手机号码=phone, 客户名=name"),
    )
    dry_run = forms.BooleanField(label=_("只检查不导入"), required=False)
    skip_bad = forms.BooleanField(label=_("跳过错误行，导入其余行"), required=False)


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "name",
            "kind",
            "phone",
            "email",
            "tier",
            "stage",
            "is_internal",
            "gender",
            "city",
            "address",
            "personality",
            "listening_style",
            "hobbies",
            "needs",
            "has_need",
            "can_pay",
            "has_authority",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}


class ErasureForm(forms.Form):
    """Deleting a customer's personal data on request: confirmed by typing the number."""

    confirm_number = forms.CharField(label=_("输入客户编号以确认"), max_length=16)
    reason = forms.CharField(
        label=_("请求说明"),
        max_length=200,
        help_text=_("例如：客户于某日来电要求删除个人信息。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_confirm_number(self):
        value = self.cleaned_data["confirm_number"].strip()
        if value.upper() != self.customer.number.upper():
            raise forms.ValidationError(_("客户编号不一致。"))
        return value

    def clean_reason(self):
        try:
            return check_text(self.cleaned_data["reason"].strip(), field="reason")
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class AccessRecordFilterForm(forms.Form):
    customer = forms.CharField(label=_("客户编号"), required=False, max_length=16)
    actor = forms.CharField(label=_("操作人用户名"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=[("", _("全部操作")), *PersonalDataAccess.Action.choices],
    )
