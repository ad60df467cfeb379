from django.contrib import admin

from .models import Message, Ticket


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    readonly_fields = ["author", "sender", "public", "body", "created_at"]
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "subject", "customer", "type", "channel", "priority", "status"]
    list_filter = ["status", "type", "channel", "priority", "department"]
    search_fields = ["number", "subject", "customer__name"]
    raw_id_fields = ["customer", "assignee"]
    readonly_fields = ["number", "created_at", "updated_at"]
    inlines = [MessageInline]
