"""`huitou surveys send-due`: send the invitations and reminders that are due now."""

from django.core.management.base import BaseCommand

from huitou.surveys.sending import do_invitations_send_due


class Command(BaseCommand):
    help = "满意度调查：发送到期的评价邀请、问卷邀请和提醒。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("send-due", help="发送现在到期的评价邀请、问卷邀请和提醒")

    def handle(self, *args, **options):
        sent = do_invitations_send_due()
        self.stdout.write(
            f"已发送服务评价邀请 {sent.ratings} 条，问卷邀请和提醒 {sent.surveys} 条。"
        )
