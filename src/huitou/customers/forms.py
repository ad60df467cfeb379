from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Customer, CustomerKind, Stage, Tier


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
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
