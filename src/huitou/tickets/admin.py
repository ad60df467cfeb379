from django.contrib import admin

from huitou.core.admin import ReadOnlyAdmin

from .models import ForbiddenPhrase, ForbiddenPhraseUse, Message, StandardPhrase, Ticket


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


@admin.register(StandardPhrase)
class StandardPhraseAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "order", "active"]
    list_filter = ["category", "active"]
    list_editable = ["order", "active"]
    search_fields = ["title", "body"]


@admin.register(ForbiddenPhrase)
class ForbiddenPhraseAdmin(admin.ModelAdmin):
    list_display = ["phrase", "is_pattern", "kind", "suggestion", "active"]
    list_filter = ["kind", "is_pattern", "active"]
    list_editable = ["active"]
    search_fields = ["phrase"]
    fields = ["phrase", "is_pattern", "kind", "suggestion", "active"]


@admin.register(ForbiddenPhraseUse)
class ForbiddenPhraseUseAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "author", "phrase", "message"]
    list_filter = ["phrase"]
    list_select_related = ["author", "phrase", "message"]
