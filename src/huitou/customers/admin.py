from django.contrib import admin

from huitou.core.admin import ReadOnlyAdmin

from .models import (
    Customer,
    CustomerTag,
    LossReason,
    PersonalDataAccess,
    Tag,
    TagRule,
    TierPolicy,
    TierRule,
    Transaction,
)
from .tagging import check_tag_rule


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """Customers are filed and edited in the desk (numbers, history); admin only shows."""

    list_display = ["number", "name", "kind", "phone", "tier", "stage", "created_at"]
    list_filter = ["tier", "stage", "kind", "is_internal", "personality"]
    search_fields = ["number", "name", "phone", "email", "external_id"]
    list_select_related = ["loss_reason"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["customer", "occurred_at", "product", "quantity", "amount", "profit", "state"]
    list_filter = ["state"]
    search_fields = ["customer__number", "product", "external_id"]
    list_select_related = ["customer"]


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "position"]
    list_editable = ["active", "position"]


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    list_display = ["tier", "annual_visits", "routing_priority", "sla_policy"]


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "basis", "window_months", "loss_risk_days"]

    def has_add_permission(self, request):
        return not TierRule.objects.exists()  # one rule for the whole archive

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "description"]
    list_filter = ["source"]
    search_fields = ["name"]


@admin.register(TagRule)
class TagRuleAdmin(admin.ModelAdmin):
    list_display = ["tag", "match", "weight", "active"]

    def save_model(self, request, obj, form, change):
        check_tag_rule(obj.conditions)  # the same validation as the API
        super().save_model(request, obj, form, change)


@admin.register(CustomerTag)
class CustomerTagAdmin(admin.ModelAdmin):
    list_display = ["customer", "tag", "source", "weight", "assigned_at"]
    list_filter = ["source", "tag"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "tag"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    """Who viewed, revealed, exported, deleted or anonymised personal data (also at
    /customers/privacy/ for supervisors)."""

    list_display = ["created_at", "actor", "action", "customer", "fields", "channel"]
    list_filter = ["action", "channel"]
    search_fields = ["customer__number", "actor__username"]
    list_select_related = ["actor", "customer"]
