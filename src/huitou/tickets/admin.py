from django.contrib import admin

from huitou.core.admin import ReadOnlyAdmin

from .models import Message, Ticket


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    readonly_fields = ["author", "sender", "public", "body", "created_at"]
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Tickets are worked in the desk, whose services keep the history; admin only shows."""

    list_display = ["number", "subject", "customer", "type", "channel", "priority", "status"]
    list_filter = ["status", "type", "channel", "priority", "department"]
    search_fields = ["number", "subject", "customer__name"]
    list_select_related = ["customer", "assignee", "department"]
    inlines = [MessageInline]
