from django.contrib import admin

from huitou.core.admin import ReadOnlyAdmin

from .models import Complaint, ComplaintPolicy, ComplaintStep, CrisisAlert, DispatchScore


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(admin.ModelAdmin):
    """One row of thresholds: edit it, never add a second or delete it."""

    list_display = ["__str__", "dispatch_due_hours", "callback_delay_hours", "crisis_threshold"]

    def has_add_permission(self, request):
        return not ComplaintPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = ComplaintStep
    extra = 0
    can_delete = False
    readonly_fields = ["step", "actor", "at", "state", "department", "note", "due_at"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    """Complaints move through the flow's services, which time-stamp each step."""

    list_display = ["ticket", "state", "severity", "cause", "product", "is_major", "received_at"]
    list_filter = ["state", "is_major", "severity", "cause", "behaviour"]
    search_fields = ["ticket__number", "ticket__subject", "product"]
    list_select_related = ["ticket"]
    inlines = [StepInline]


@admin.register(CrisisAlert)
class CrisisAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "cause", "product", "complaint_count", "acknowledged_at"]
    list_filter = ["kind"]


@admin.register(DispatchScore)
class DispatchScoreAdmin(ReadOnlyAdmin):
    list_display = ["complaint", "total", "agent", "department", "inspector", "scored_at"]
    list_select_related = ["complaint__ticket", "agent", "department", "inspector"]
