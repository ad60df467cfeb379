from django.contrib import admin

from .models import (
    BotConversation,
    DomainWord,
    FaqCategory,
    FaqEntry,
    FaqVersion,
    SimilarQuestion,
    SynonymGroup,
)
from .services import do_kb_revision_bump


class RevisionBumpingAdmin(admin.ModelAdmin):
    """Any edit here moves the knowledge-base revision: every process rebuilds its index."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        do_kb_revision_bump()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        do_kb_revision_bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        do_kb_revision_bump()


class SimilarInline(admin.TabularInline):
    model = SimilarQuestion
    extra = 1


class VersionInline(admin.TabularInline):
    model = FaqVersion
    extra = 0
    can_delete = False
    readonly_fields = ["version", "question", "answer", "similar", "actor", "created_at"]


@admin.register(FaqEntry)
class FaqEntryAdmin(RevisionBumpingAdmin):
    list_display = ["question", "category", "status", "version", "times_served", "helpful_votes",
                    "unhelpful_votes", "handoffs"]  # fmt: skip
    list_filter = ["status", "category"]
    search_fields = ["question", "answer", "similar__text"]
    inlines = [SimilarInline, VersionInline]


@admin.register(FaqCategory)
class FaqCategoryAdmin(RevisionBumpingAdmin):
    list_display = ["name", "order"]


@admin.register(SynonymGroup)
class SynonymGroupAdmin(RevisionBumpingAdmin):
    list_display = ["__str__", "note"]


@admin.register(DomainWord)
class DomainWordAdmin(RevisionBumpingAdmin):
    search_fields = ["word"]


@admin.register(BotConversation)
class BotConversationAdmin(admin.ModelAdmin):
    list_display = ["token", "status", "handoff_reason", "ticket", "started_at"]
    list_filter = ["status", "handoff_reason"]

    def has_add_permission(self, request):
        return False
