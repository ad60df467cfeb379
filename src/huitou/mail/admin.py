"""Mailboxes (passwords can be set, never read back) and the mail received (read only, the raw
message downloadable as .eml for a look at what the parser saw)."""

from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huitou.core.errors import DomainError

from .models import InboundMail, Mailbox, OutgoingMail
from .services import check_mailbox_fields

PASSWORD_FIELDS = ("imap_password", "smtp_password")


class MailboxForm(forms.ModelForm):
    """Passwords are write-only: the field starts empty, and left empty keeps the stored one."""

    imap_password = forms.CharField(
        label=_("IMAP 密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则保留原密码。"),
    )
    smtp_password = forms.CharField(
        label=_("SMTP 密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则保留原密码。"),
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "name",
            "department",
            "active",
            "signature",
            "imap_host",
            "imap_port",
            "imap_tls",
            "imap_username",
            "imap_password",
            "imap_folder",
            "smtp_host",
            "smtp_port",
            "smtp_tls",
            "smtp_username",
            "smtp_password",
            "auto_answer",
        ]

    def clean(self):
        cleaned = super().clean()
        for field in PASSWORD_FIELDS:
            if not cleaned.get(field) and self.instance.pk:
                cleaned[field] = getattr(self.instance, field)
        return cleaned

    def clean_address(self):
        try:
            checked = check_mailbox_fields(
                {"address": self.cleaned_data["address"]}, exclude_pk=self.instance.pk
            )
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return checked["address"]


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "name", "department", "active", "imap_host", "auto_answer"]
    list_filter = ["active", "department"]
    search_fields = ["address", "name"]
    fieldsets = [
        (None, {"fields": ["address", "name", "department", "active", "signature"]}),
        (
            _("收信（IMAP）"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_tls",
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                ]
            },
        ),
        (
            _("发信（SMTP）"),
            {"fields": ["smtp_host", "smtp_port", "smtp_tls", "smtp_username", "smtp_password"]},
        ),
        (_("自动答复"), {"fields": ["auto_answer"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # its mail and tickets point at it: deactivate instead


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "mailbox", "from_address", "subject", "outcome", "reason"]
    list_filter = ["outcome", "mailbox"]
    list_select_related = ["mailbox", "ticket"]
    search_fields = ["message_id", "from_address", "subject", "ticket__number"]
    exclude = ["raw"]
    readonly_fields = [
        "mailbox",
        "message_id",
        "from_address",
        "subject",
        "outcome",
        "reason",
        "ticket",
        "ticket_message",
        "imap_uid",
        "received_at",
        "raw_download",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting it would let the same mail make a second ticket

    @admin.display(description=_("原始邮件"))
    def raw_download(self, obj):
        url = reverse("admin:mail_inboundmail_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("下载 .eml"))

    def get_urls(self):
        raw = path(
            "<int:pk>/raw/",
            self.admin_site.admin_view(self.raw_view),
            name="mail_inboundmail_raw",
        )
        return [raw, *super().get_urls()]

    def raw_view(self, request, pk: int):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        inbound = get_object_or_404(InboundMail, pk=pk)
        # Downloaded, never shown: a mail is the sender's HTML and script.
        response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="mail-{inbound.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "mailbox", "ticket_message", "message_id"]
    list_select_related = ["mailbox", "ticket_message"]
    readonly_fields = ["ticket_message", "mailbox", "outbox", "message_id", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
