from django import forms


class StaffChoiceField(forms.ModelChoiceField):
    """Offers people by the name colleagues know them by (陈静（主管 · 客服部）), never by
    login name. Use with `accounts.selectors.assignable_agents`, which prefetches what the
    label reads."""

    def label_from_instance(self, obj) -> str:
        details = " · ".join(str(part) for part in (obj.role_label, obj.department) if part)
        return f"{obj.display_name}（{details}）" if details else obj.display_name
