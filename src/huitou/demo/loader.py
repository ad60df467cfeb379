"""Loading the demo dataset behind `huitou demo`.

Loading (`load_demo`) goes through the services, which stamp rows with the current time; it
then back-dates each ticket's rows so the history spreads over the last 90 days in a consistent
order. Only that clock depends on today; what is loaded is decided by `huitou.demo.plan`.
"""

import bisect
import random
import unicodedata
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import Department, User
from huitou.accounts.services import do_department_create, do_user_create
from huitou.core.models import AuditEntry
from huitou.core.notifications import notification_emails_muted
from huitou.customers.models import Customer, LossReason, Stage, TierChange
from huitou.customers.services import do_customer_create
from huitou.surveys.rating import rating_invites_paused
from huitou.tickets.models import Message, Status, Ticket, TicketType
from huitou.tickets.services import do_message_add, do_ticket_create, do_ticket_update

from . import phrases as ph
from .archive import load_demo_purchases, run_archive_jobs
from .complaints import ComplaintStory, backdate_complaints
from .kb import load_demo_chats, load_demo_faq, plan_demo_chats
from .phrases import DEMO_PASSWORD
from .plan import DAYS, TICKET_COUNT, DemoPlan, TicketPlan, plan_demo
from .quality import load_demo_quality
from .questionnaires import load_demo_questionnaires
from .sla import backdate_sla_clocks, chat_queue, settle_demo_tiers, staff_queues
from .surveys import load_demo_ratings


def database_is_empty() -> bool:
    """No staff, departments, customers or tickets yet (e.g. no `createsuperuser` either)."""
    return not any(model.objects.exists() for model in (User, Department, Customer, Ticket))


def load_demo(*, scale: float = 1.0) -> dict[str, int]:
    """Create the demo dataset in one transaction; returns how many rows of each kind exist."""
    plan = plan_demo(scale=scale)
    now = timezone.now()
    with transaction.atomic(), notification_emails_muted():
        load_demo_faq()  # the bot's chats come in among the tickets
        chat_queue()  # before them: their hand-offs wait in the live-chat queue
        with rating_invites_paused():  # the ratings are made afterwards, back-dated
            _Loader(now).load(plan)
        run_archive_jobs(now=now)
        backdate_sla_clocks(now=now)
        staff_queues()
        load_demo_ratings(now=now)
        load_demo_questionnaires(now=now)
        load_demo_quality(now=now)
    return {
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "customers": Customer.objects.count(),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "audit_entries": AuditEntry.objects.count(),
    }


class _Loader:
    def __init__(self, now: datetime):
        self.now = now
        self.midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        # Timestamps to set once everything exists, in a few bulk updates.
        self.tickets: list[Ticket] = []
        self.messages: list[Message] = []
        self.entries: list[AuditEntry] = []
        self.complaint_stamps: list = []

    def load(self, plan: DemoPlan) -> None:
        departments = {
            name: do_department_create(
                name=name,
                description=description,
                # The service centre itself; the others are responsible departments.
                kind=(
                    Department.Kind.SERVICE_CENTRE
                    if name == "客服中心"
                    else Department.Kind.RESPONSIBLE
                ),
            )
            for name, description in ph.DEPARTMENTS.items()
        }
        for username, role, department, full_name in ph.DEMO_USERS:
            do_user_create(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                department=departments.get(department),
                full_name=full_name,
                email=f"{username}@example.com",
            )
        self.departments = departments
        # Loaded once with their groups: the services ask for users' roles and permissions
        # on every call, and these objects cache both.
        self.users = {
            user.username: user
            for user in User.objects.select_related("department").prefetch_related("groups")
        }
        admin = self.users["admin"]
        reasons = list(LossReason.objects.order_by("position", "id"))
        customers = [
            do_customer_create(
                actor=admin,
                **c.fields,
                # Lost customers need a reason; spread them over the configured list.
                **(
                    {"loss_reason": reasons[i % len(reasons)]}
                    if c.fields["stage"] == Stage.LOST
                    else {}
                ),
            )
            for i, c in enumerate(plan.customers)
        ]
        # Purchases and the tiers they give first: tickets are routed and timed by tier.
        load_demo_purchases(customers=customers, now=self.now)
        customers = settle_demo_tiers(customers=customers, now=self.now)
        first_ticket_at: dict[int, datetime] = {}
        chats = plan_demo_chats(now=self.now, share=len(plan.tickets) / TICKET_COUNT)
        for ticket_plan in plan.tickets:
            chats = load_demo_chats(chats, until=self.step_times(ticket_plan)[0], now=self.now)
            created_at = self.load_ticket(ticket_plan, customers[ticket_plan.customer])
            first_ticket_at.setdefault(ticket_plan.customer, created_at)
        load_demo_chats(chats, until=self.now, now=self.now)
        self.backdate_records(plan, customers, first_ticket_at)
        Ticket.objects.bulk_update(
            self.tickets,
            ["created_at", "updated_at", "first_response_at", "resolved_at", "closed_at"],
            batch_size=500,
        )
        Message.objects.bulk_update(self.messages, ["created_at"], batch_size=500)
        AuditEntry.objects.bulk_update(self.entries, ["created_at"], batch_size=500)
        backdate_complaints(stamps=self.complaint_stamps, now=self.now)

    def step_times(self, plan: TicketPlan) -> list[datetime]:
        """When the ticket came in, then when each step happened; never in the future."""
        if plan.day == 0:
            # Just after midnight there are not five minutes to spread today's tickets over:
            # they share what has passed, so no two come in at the same instant.
            today = self.now - self.midnight
            passed = max(today - timedelta(minutes=5), today / 2)
            created = self.midnight + passed * plan.moment
        else:
            created = self.midnight - timedelta(days=plan.day) + timedelta(days=plan.moment)
        times = [created]
        for step in plan.steps:
            at = times[-1] + timedelta(minutes=step.delay)
            times.append(self.office_hours(at, step.delay) if step.actor else at)
        latest = self.now - timedelta(minutes=1)
        if times[-1] > max(latest, created):  # a young ticket's story is squeezed into its time
            squeeze = max(latest - created, timedelta(0)) / (times[-1] - created)
            times = [created + (at - created) * squeeze for at in times]
        return times

    @staticmethod
    def office_hours(at: datetime, delay: float) -> datetime:
        """Staff work 8:00-22:00: later work waits for the next morning."""
        local = timezone.localtime(at)
        if 8 <= local.hour < 22:
            return at
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
        if local.hour >= 22:
            morning += timedelta(days=1)
        return morning + timedelta(minutes=delay % 40)

    def last_entry_id(self) -> int:
        return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def load_ticket(self, plan: TicketPlan, customer: Customer) -> datetime:
        times = self.step_times(plan)
        # (last audit id before a step, its index into times): which entries each step wrote.
        marks = [(self.last_entry_id(), 0)]
        ticket = do_ticket_create(
            actor=self.users[plan.creator],
            customer=customer,
            assignee=self.users.get(plan.assignee),
            **plan.fields,
        )
        story = None
        if ticket.type == TicketType.COMPLAINT:
            story = ComplaintStory(
                ticket=ticket,
                plan=plan,
                users=self.users,
                departments=self.departments,
                rng=random.Random(ticket.number),
                now=self.now,
            )
            story.opened(times[0])
        stamps = {"first_response_at": None, "resolved_at": None, "closed_at": None}
        for index, step in enumerate(plan.steps, start=1):
            at = times[index]
            if step.kind == "customer":
                message = Message.objects.create(
                    ticket=ticket,
                    sender=Message.Sender.CUSTOMER,
                    author=None,
                    public=True,
                    body=step.body,
                )
                self.messages.append(Message(pk=message.pk, created_at=at))
                continue
            marks.append((self.last_entry_id(), index))
            actor = self.users[step.actor]
            if step.kind in ("reply", "note"):
                # A complaint is answered through its flow; what was said meanwhile is a note.
                public = step.kind == "reply" and story is None
                message = do_message_add(actor=actor, ticket=ticket, body=step.body, public=public)
                self.messages.append(Message(pk=message.pk, created_at=at))
                if public and stamps["first_response_at"] is None:
                    stamps["first_response_at"] = at
                continue
            changes = dict(step.changes)
            if story is not None:  # status and department move through the complaint flow
                changes = story.on_update(actor=actor, changes=changes, at=at)
                if not changes:
                    continue
            if "assignee" in changes:
                changes["assignee"] = self.users.get(changes["assignee"])
            if "department" in changes:
                changes["department"] = self.departments.get(changes["department"])
            ticket = do_ticket_update(actor=actor, ticket=ticket, changes=changes)
            # The same stamps the service set, moved to the step's time.
            status = changes.get("status")
            if status == Status.RESOLVED:
                stamps["resolved_at"] = at
            elif status == Status.CLOSED:
                stamps["closed_at"] = at
                stamps["resolved_at"] = stamps["resolved_at"] or at
            elif status == Status.OPEN:
                stamps["resolved_at"] = stamps["closed_at"] = None
        if story is not None:
            story.finish(times=times, marks=marks, last_entry_id=self.last_entry_id)
            self.complaint_stamps.extend(story.stamps)
        self.tickets.append(
            Ticket(pk=ticket.pk, created_at=times[0], updated_at=times[-1], **stamps)
        )
        bounds = [mark for mark, _index in marks]
        entry_ids = AuditEntry.objects.filter(pk__gt=bounds[0]).values_list("pk", flat=True)
        for pk in entry_ids:
            step_index = marks[bisect.bisect_left(bounds, pk) - 1][1]
            self.entries.append(AuditEntry(pk=pk, created_at=times[step_index]))
        return times[0]

    def backdate_records(self, plan: DemoPlan, customers, first_ticket_at: dict) -> None:
        """Customers were filed before their first ticket; staff and departments before all."""
        created = {}
        for index, (customer_plan, customer) in enumerate(
            zip(plan.customers, customers, strict=True)
        ):
            at = self.now - timedelta(days=customer_plan.days_ago)
            if index in first_ticket_at:
                at = min(at, first_ticket_at[index] - timedelta(minutes=3))
            created[customer.pk] = at
        Customer.objects.bulk_update(
            [Customer(pk=pk, created_at=at, updated_at=at) for pk, at in created.items()],
            ["created_at", "updated_at"],
            batch_size=500,
        )
        # The first tier holds from the day each customer was filed.
        initial = list(
            TierChange.objects.filter(customer_id__in=created, source=TierChange.Source.INITIAL)
        )
        for change in initial:
            change.effective_at = created[change.customer_id]
        TierChange.objects.bulk_update(initial, ["effective_at"], batch_size=500)
        customer_type = ContentType.objects.get_for_model(Customer)
        entries = AuditEntry.objects.filter(content_type=customer_type, object_id__in=created)
        for pk, object_id in entries.values_list("pk", "object_id"):
            self.entries.append(AuditEntry(pk=pk, created_at=created[object_id]))
        start = self.now - timedelta(days=DAYS + 30)
        Department.objects.update(created_at=start)
        User.objects.bulk_update(
            [
                User(pk=user.pk, date_joined=start + timedelta(hours=i))
                for i, user in enumerate(self.users.values())
            ],
            ["date_joined"],
        )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def print_demo_logins(stdout) -> None:
    """The demo accounts that exist, as a table; prints nothing if there are none."""
    usernames = [username for username, *_rest in ph.DEMO_USERS]
    users = {
        user.username: user
        for user in User.objects.filter(username__in=usernames)
        .select_related("department")
        .prefetch_related("groups")
    }
    rows = [(_("用户名"), _("角色"), _("部门"), _("密码"))]
    for username in usernames:
        if username in users:
            user = users[username]
            department = user.department.name if user.department else "—"
            rows.append((username, str(user.role_label), department, DEMO_PASSWORD))
    if len(rows) == 1:
        return
    widths = [max(_width(row[column]) for row in rows) for column in range(4)]
    stdout.write(_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD} + "\n")
    for row in rows:
        cells = [
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ]
        stdout.write("  " + "  ".join(cells).rstrip() + "\n")
    stdout.write(_("客户自助服务与智能客服（无需登录）：/help/") + "\n")
