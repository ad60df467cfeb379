from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huitou.accounts.forms import StaffChoiceField
from huitou.accounts.models import User
from huitou.accounts.selectors import assignable_agents
from huitou.core.forms import DateField

from .models import Queue

GROUP_CHOICES = [
    ("policy", _("按策略")),
    ("tier", _("按客户等级")),
    ("type", _("按工单类型")),
    ("team", _("按部门")),
    ("agent", _("按处理人")),
]


class ReportForm(forms.Form):
    start = DateField(label=_("开始日期"), required=False)
    end = DateField(label=_("结束日期"), required=False)
    group_by = forms.ChoiceField(label=_("分组"), choices=GROUP_CHOICES, required=False)


class TransferForm(forms.Form):
    assignee = StaffChoiceField(label=_("转派给"), queryset=User.objects.none(), required=False)
    queue = forms.ModelChoiceField(
        label=_("或转到队列"), queryset=Queue.objects.filter(active=True), required=False
    )
    reason = forms.CharField(label=_("转派原因"), max_length=500)

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_agents()
        if ticket is not None:  # offer only queues whose tier condition the customer meets
            self.fields["queue"].queryset = self.fields["queue"].queryset.filter(
                Q(tier="") | Q(tier=ticket.customer.tier)
            )
