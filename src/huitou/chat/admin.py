from django.contrib import admin

from .models import ChatSeat, ChatSession


@admin.register(ChatSeat)
class ChatSeatAdmin(admin.ModelAdmin):
    list_display = ["user", "max_chats", "ring_new_chat", "ring_major_complaint"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]
    autocomplete_fields = ["user"]


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    """Read-only: a chat changes through its ticket and the console."""

    list_display = ["ticket", "via", "state", "agent", "queued_at", "accepted_at", "ended_at"]
    list_filter = ["state", "via"]
    list_select_related = ["ticket", "agent"]
    search_fields = ["ticket__number", "external_id"]
    date_hierarchy = "queued_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
