"""`huitou sla import-days CALENDAR FILE`: holidays and make-up days from CSV or .ics."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from huitou.accounts.models import User
from huitou.core.errors import DomainError
from huitou.sla.calendars import parse_day_list
from huitou.sla.models import BusinessCalendar
from huitou.sla.services import do_calendar_days_set


class Command(BaseCommand):
    help = "服务标准：导入节假日与调休（CSV：date,kind,name；或 .ics 日历）。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        days = sub.add_parser("import-days", help="导入节假日与调休工作日")
        days.add_argument("calendar", help="工作日历名称")
        days.add_argument("file", help="CSV (date,kind,name) 或 .ics 文件")
        days.add_argument("--as-user", default="", help="记录为此管理员的操作（默认第一个管理员）")

    def handle(self, *args, **options):
        calendar = BusinessCalendar.objects.filter(name=options["calendar"]).first()
        if calendar is None:
            names = "、".join(BusinessCalendar.objects.values_list("name", flat=True))
            raise CommandError(f"没有名为 {options['calendar']!r} 的工作日历（现有：{names}）")
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"无法读取 {path}: {error}") from None
        try:
            rows = parse_day_list(text, filename=path.name)
        except ValueError as error:
            raise CommandError(f"{path}: {error}；未导入任何日期。") from None
        admins = User.objects.filter(is_superuser=True, is_active=True).order_by("pk")
        actor = (
            admins.filter(username=options["as_user"]).first()
            if options["as_user"]
            else admins.first()
        )
        if actor is None:
            raise CommandError("需要一个管理员账号来记录这次导入（--as-user）。")
        try:
            with transaction.atomic():
                count = do_calendar_days_set(actor=actor, calendar=calendar, rows=rows)
        except DomainError as error:
            raise CommandError(f"{error.message}；未导入任何日期。") from None
        holidays = sum(1 for _day, kind, _name in rows if kind == "holiday")
        workdays = count - holidays
        self.stdout.write(
            f"{calendar.name}：导入 {count} 天（节假日 {holidays}，调休工作日 {workdays}）。"
        )
