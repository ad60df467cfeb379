from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Customer, CustomerKind, ImportJob, Stage, Tier, WinBackFollowUp


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
