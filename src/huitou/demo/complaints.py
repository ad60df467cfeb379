"""Demo complaints: each complaint ticket of the demo runs through the real dispatch flow.

The services stamp the real time; the loader moves every step, message and audit entry to
the story's own time afterwards (see backdate_complaints).
"""

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from huitou.accounts.models import User
from huitou.complaints.crisis import do_crisis_alert_acknowledge, do_crisis_evaluate
from huitou.complaints.major import major_reasons_for, management_recipients
from huitou.complaints.models import (
    CallbackTask,
    Complaint,
    ComplaintPolicy,
    ComplaintStep,
    CrisisAlert,
    DispatchScore,
    MajorReason,
    RecoveryAction,
    State,
    Step,
)
from huitou.complaints.qa import do_dispatch_score
from huitou.complaints.services import (
    do_complaint_accept,
    do_complaint_answer,
    do_complaint_callback,
    do_complaint_classify,
    do_complaint_dispatch,
    do_complaint_reply,
    do_complaint_result,
    do_recovery_add,
)
from huitou.core.models import AuditEntry, Notification
from huitou.core.notifications import do_notify
from huitou.tickets.models import ForbiddenPhraseUse, Message, Status, Ticket
from huitou.tickets.phrases import customer_salutation

from .phrases import HANDLERS

CAUSE_BY_DEPARTMENT = {
    "售后服务部": "service",
    "物流部": "delivery",
    "质量部": "product_quality",
    "销售部": "integrity",
    None: "service",
}
RESULTS = {
    "售后服务部": "网点已上门处理完毕，客户当场确认；已对相关师傅进行考核。",
    "物流部": "已核实配送记录，对送货人员批评教育，破损商品已安排换货。",
    "质量部": "故障件检测为批次质量问题，已为客户办理换新并登记质量跟踪。",
    "销售部": "已核实订单与宣传承诺，按承诺补发赠品并办理差价退款。",
}
RECOVERIES = {
    "售后服务部": [("repair", 0, "免费上门维修"), ("gift", 80, "赠送一次清洗服务")],
    "物流部": [("apology", 0, "电话致歉"), ("compensation", 50, "配送延误补偿")],
    "质量部": [("replacement", 1800, "整机换新"), ("refund", 2999, "全额退款")],
    "销售部": [("refund", 200, "退还差价"), ("gift", 120, "补发赠品")],
}
REPLY = (
    "{客户称呼}您好，关于您反映的问题（工单号 {工单号}），相关部门已处理完毕：{结果}感谢您的耐心。"
)
ANSWER = "{客户称呼}您好，您反映的情况已经核实并当场为您处理好了，给您带来不便非常抱歉。"
TABOO_REPLY = "这是本公司的规定，超过七天不能退货，请您理解。"
SATISFACTION_WEIGHTS = [2, 6, 22, 35, 35]  # 1..5
INTENSE_SHARE = 0.02  # furious, "major", large compensation: together, and rare
LATE_SHARE = 0.01  # department results that come in after the dispatch's due time
DISPATCH_DUE = timedelta(hours=24)
OPEN_ALERT_AGE = timedelta(days=7)  # older crisis alerts have been acknowledged
UNREAD_AGE = timedelta(days=2)  # older notifications have been read
# What the flow writes with the time it happened (the services stamp the load time).
STAMPED = {
    ComplaintStep: ("at",),
    Message: ("created_at",),
    Notification: ("created_at",),
    RecoveryAction: ("created_at",),
    CallbackTask: ("created_at",),
    DispatchScore: ("scored_at",),
    ForbiddenPhraseUse: ("created_at",),
}


class ComplaintStory:
    """One demo complaint's journey; times are recorded so the loader can backdate rows."""

    def __init__(self, *, ticket: Ticket, plan, users, departments, rng: random.Random, now):
        self.ticket, self.plan, self.users, self.rng, self.now = ticket, plan, users, rng, now
        self.departments = departments
        creator = plan.assignee or plan.creator
        self.centre = users[creator if creator.startswith("agent") else "agent1"]
        self.department_name: str | None = None
        self.dispatched_at: datetime | None = None
        self.stamps: list[tuple[type, int, datetime]] = []

    def _track(self, at: datetime, action: Callable[[], object]) -> None:
        marks = {
            model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for model in STAMPED
        }
        action()
        for model, last in marks.items():
            for pk in model.objects.filter(pk__gt=last).values_list("pk", flat=True):
                self.stamps.append((model, pk, at))

    def opened(self, at: datetime) -> None:
        complaint = self.ticket.complaint
        self.stamps.extend(
            (ComplaintStep, pk, at) for pk in complaint.steps.values_list("pk", flat=True)
        )
        if self.plan.status == Status.NEW:
            return  # nobody has looked at it yet
        department = self.plan.steps and next(
            (
                dict(s.changes).get("department")
                for s in self.plan.steps
                if s.kind == "update" and "department" in dict(s.changes)
            ),
            None,
        )
        rng = self.rng
        # Most complaints are grumbles about a late engineer or a scratched door; a few
        # customers are furious, call it a major matter and want real money (each of which
        # makes the complaint major [003]), and those usually come together.
        intense = rng.random() < INTENSE_SHARE
        changes = {
            "cause": CAUSE_BY_DEPARTMENT.get(department, "service"),
            "product": self.plan.product,
            "severity": rng.choices(
                ["general", "serious", "major"], weights=[0, 40, 60] if intense else [78, 22, 0]
            )[0],
            "behaviour": rng.choices(
                ["passive", "anger", "publicity", "extreme", ""],
                weights=[0, 75, 0, 25, 0] if intense else [58, 0, 3, 0, 39],
            )[0],
            "purpose": rng.choice(["criticism", "criticism", "accusation", "suggestion"]),
            "who": self.ticket.customer.name,
            "what": self.ticket.subject,
            "demand": rng.choice(["尽快处理", "换货", "退款", "赔偿损失", "道歉并处理责任人"]),
            "validity": rng.choices(["valid", "partly", "invalid"], weights=[80, 15, 5])[0],
        }
        if changes["validity"] != "valid":
            changes["validity_reason"] = "部分诉求超出保修政策范围。"
        if changes["demand"] == "赔偿损失":
            amounts = [3000, 8000, 20000] if intense else [100, 200, 500, 1000, 2000]
            changes["compensation_demand"] = rng.choice(amounts)
        self._track(
            at,
            lambda: do_complaint_classify(
                actor=self.centre, complaint=complaint, changes=changes, evaluate_crisis=False
            ),
        )

    def on_update(self, *, actor, changes: dict, at: datetime) -> dict:
        """The generic story's update, minus what only the complaint flow may change."""
        changes = dict(changes)
        changes.pop("status", None)
        name = changes.pop("department", None)
        if name:
            self.department_name = name
            self.dispatched_at = at
            dispatcher = actor if actor.has_perm("complaints.handle_complaint") else self.centre
            self._track(
                at,
                lambda: do_complaint_dispatch(
                    actor=dispatcher,
                    complaint=self.ticket.complaint,
                    department=self.departments[name],
                    due_at=self.now + DISPATCH_DUE,
                ),
            )
        return changes

    def finish(self, *, times: list[datetime], marks: list, last_entry_id) -> None:
        """The steps after the generic story: accept, result, reply, call-back, or answer."""
        rng, status = self.rng, self.plan.status
        complaint = self.ticket.complaint
        done = status in (Status.RESOLVED, Status.CLOSED)
        actions: list[tuple[float, Callable[[], object]]] = []
        if self.department_name:
            handler = self.users[HANDLERS[self.department_name]]
            result = RESULTS[self.department_name]
            steps = 3 if done else rng.choice([0, 1, 1, 2])
            if not done and self.dispatched_at < self.now - DISPATCH_DUE:
                steps = 2  # the department has answered; the centre is yet to reply
            # Departments mostly report within the 24 hours a dispatch allows; a few are late
            # (overdue, which makes the complaint major).
            late = rng.random() < LATE_SHARE
            if steps >= 1:
                actions.append(
                    (
                        rng.uniform(20, 240),
                        lambda: do_complaint_accept(actor=handler, complaint=complaint),
                    )
                )
            if steps >= 2:
                actions.append(
                    (
                        rng.uniform(1500, 2400) if late else rng.uniform(60, 1000),
                        lambda: _result(handler, complaint, result),
                    )
                )
            if done:
                kind, amount, note = rng.choice(RECOVERIES[self.department_name])
                if rng.random() < 0.6:
                    actions.append(
                        (
                            rng.uniform(5, 60),
                            lambda: do_recovery_add(
                                actor=handler,
                                complaint=complaint,
                                kind=kind,
                                amount=amount,
                                description=note,
                            ),
                        )
                    )
                taboo = rng.random() < 0.04
                body = TABOO_REPLY if taboo else _fill(REPLY, self.ticket, result)
                actions.append(
                    (
                        rng.uniform(10, 240),
                        lambda: do_complaint_reply(
                            actor=self.centre,
                            complaint=complaint,
                            body=body,
                            confirm_forbidden=taboo,
                        ),
                    )
                )
            if status == Status.CLOSED:
                satisfaction = rng.choices(range(1, 6), weights=SATISFACTION_WEIGHTS)[0]
                again = satisfaction <= 2 and rng.random() < 0.3
                actions.append(
                    (
                        rng.uniform(1440, 2880),
                        lambda: do_complaint_callback(
                            actor=self.centre,
                            complaint=complaint,
                            satisfaction=satisfaction,
                            note="客户表示"
                            + ("满意。" if satisfaction >= 3 else "不太满意，已记录。"),
                            reopen=again,
                        ),
                    )
                )
                if again:  # unsatisfied: reopened, handled a second time, then satisfied
                    department = self.departments[self.department_name]
                    actions += [
                        (
                            rng.uniform(30, 240),
                            lambda: do_complaint_dispatch(
                                actor=self.centre,
                                complaint=complaint,
                                department=department,
                                note="回访不满意，请再次处理。",
                                due_at=self.now + DISPATCH_DUE,
                            ),
                        ),
                        (
                            rng.uniform(20, 240),
                            lambda: do_complaint_accept(actor=handler, complaint=complaint),
                        ),
                        (rng.uniform(120, 900), lambda: _result(handler, complaint, result)),
                        (
                            rng.uniform(10, 120),
                            lambda: do_complaint_reply(
                                actor=self.centre,
                                complaint=complaint,
                                body=_fill(REPLY, self.ticket, result),
                            ),
                        ),
                        (
                            rng.uniform(1440, 2880),
                            lambda: do_complaint_callback(
                                actor=self.centre, complaint=complaint, satisfaction=4
                            ),
                        ),
                    ]
                if rng.random() < 0.4:
                    scores = {
                        "right_department": rng.choice([30, 30, 25, 15]),
                        "clear_description": rng.choice([25, 20, 20, 15]),
                        "due_time_met": rng.choice([25, 25, 20, 10]),
                        "reply_quality": rng.choice([20, 18, 15, 10]),
                    }
                    actions.append(
                        (
                            rng.uniform(60, 1440),
                            lambda: do_dispatch_score(
                                actor=self.users["qa"], complaint=complaint, scores=scores
                            ),
                        )
                    )
        elif done:
            actions.append(
                (
                    rng.uniform(1, 30),
                    lambda: do_complaint_answer(
                        actor=self.centre, complaint=complaint, body=_fill(ANSWER, self.ticket, "")
                    ),
                )
            )
        # The flow's steps follow the dispatch (or the arrival) and fit inside the ticket's
        # own story, squeezed if need be; never in the future.
        start = self.dispatched_at or times[0]
        end = min(max(times[-1], start + timedelta(minutes=5)), self.now - timedelta(minutes=1))
        total = sum(delay for delay, _action in actions) or 1
        scale = min(1.0, max((end - start).total_seconds() / 60, 0) / total)
        at = start
        for delay, action in actions:
            at += timedelta(minutes=delay * scale)
            times.append(at)
            marks.append((last_entry_id(), len(times) - 1))
            self._track(at, action)
            complaint.refresh_from_db()


def _result(handler, complaint, result):
    return do_complaint_result(actor=handler, complaint=complaint, result=result)


def _fill(text: str, ticket: Ticket, result: str) -> str:
    return (
        text.replace("{客户称呼}", customer_salutation(ticket.customer))
        .replace("{工单号}", ticket.number)
        .replace("{结果}", result)
    )


def backdate_complaints(*, stamps: list[tuple[type, int, datetime]], now: datetime) -> None:
    """Move the flow's rows to the story's times, then derive each complaint's stamps."""
    for model, fields in STAMPED.items():
        rows = [
            model(pk=pk, **{field: at for field in fields})
            for kind, pk, at in stamps
            if kind is model
        ]
        model.objects.bulk_update(rows, list(fields), batch_size=500)
    complaints = list(
        Complaint.objects.prefetch_related("steps", "callbacks").select_related("ticket")
    )
    tickets, callbacks, dispatch_steps = [], [], []
    first_reply = dict(
        Message.objects.filter(public=True, sender=Message.Sender.STAFF, ticket__type="complaint")
        .values_list("ticket_id")
        .annotate(first=Min("created_at"))
    )
    for complaint in complaints:
        at = {}
        for step in complaint.steps.all():
            at.setdefault(step.step, []).append(step.at)
            if step.step == Step.DISPATCHED:
                # The timeline shows each dispatch's own due time, from when it happened.
                step.due_at = step.at + DISPATCH_DUE
                dispatch_steps.append(step)
        ticket = complaint.ticket
        complaint.received_at = ticket.created_at
        dispatched = at.get(Step.DISPATCHED, [])
        complaint.first_dispatched_at = dispatched[0] if dispatched else None
        complaint.dispatched_at = dispatched[-1] if dispatched else None
        complaint.dispatch_due_at = complaint.dispatched_at + DISPATCH_DUE if dispatched else None
        complaint.accepted_at = at.get(Step.ACCEPTED, [None])[-1]
        complaint.result_at = at.get(Step.RESULT, [None])[-1]
        replied = at.get(Step.REPLIED, []) + at.get(Step.ANSWERED, [])
        complaint.replied_at = max(replied) if replied else None
        complaint.closed_at = at.get(Step.CLOSED, [None])[-1]
        due = complaint.dispatch_due_at
        open_dispatch = complaint.state in (State.DISPATCHED, State.ACCEPTED)
        complaint.dispatch_overdue = due is not None and (
            (complaint.result_at is not None and complaint.result_at > due)
            or (open_dispatch and due < now)
        )
        ticket.resolved_at = complaint.replied_at or complaint.closed_at
        ticket.closed_at = complaint.closed_at
        ticket.first_response_at = first_reply.get(ticket.pk, ticket.first_response_at)
        tickets.append(ticket)
        for task in complaint.callbacks.all():
            if complaint.replied_at:
                task.due_at = complaint.replied_at + timedelta(hours=24)
            task.done_at = complaint.closed_at if task.done_at else None
            callbacks.append(task)
    ComplaintStep.objects.bulk_update(dispatch_steps, ["due_at"], batch_size=500)
    Complaint.objects.bulk_update(complaints, ["received_at"], batch_size=500)
    _recompute_major(complaints)  # with every complaint's received_at in place
    Complaint.objects.bulk_update(
        complaints,
        [
            "received_at",
            "first_dispatched_at",
            "dispatched_at",
            "dispatch_due_at",
            "accepted_at",
            "result_at",
            "replied_at",
            "closed_at",
            "dispatch_overdue",
            "major_reasons",
            "is_major",
            "major_at",
        ],
        batch_size=500,
    )
    Ticket.objects.bulk_update(
        tickets, ["resolved_at", "closed_at", "first_response_at"], batch_size=500
    )
    CallbackTask.objects.bulk_update(callbacks, ["due_at", "done_at"], batch_size=500)
    # Crisis alerts as the worker would have raised them while the complaints came in, at
    # the time each was classified (its arrival), not at the load's.
    raised: list[tuple[type, int, datetime]] = []
    for complaint in sorted(complaints, key=lambda complaint: complaint.received_at):
        marks = {model: _last_pk(model) for model in (CrisisAlert, Notification)}
        do_crisis_evaluate(complaint_id=complaint.pk)
        raised += [
            (model, pk, complaint.received_at)
            for model, last in marks.items()
            for pk in model.objects.filter(pk__gt=last).values_list("pk", flat=True)
        ]
    alerts = {pk: at for model, pk, at in raised if model is CrisisAlert}
    latest = dict(
        CrisisAlert.objects.filter(pk__in=alerts)
        .values_list("pk")
        .annotate(last=Max("complaints__received_at"))
    )
    CrisisAlert.objects.bulk_update(
        [
            CrisisAlert(pk=pk, created_at=at, updated_at=latest.get(pk) or at)
            for pk, at in alerts.items()
        ],
        ["created_at", "updated_at"],
    )
    Notification.objects.bulk_update(
        [Notification(pk=pk, created_at=at) for model, pk, at in raised if model is Notification],
        ["created_at"],
    )
    _acknowledge_old_alerts(now=now)
    _read_old_notifications(now=now)


def _last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _acknowledge_old_alerts(*, now: datetime) -> None:
    """The supervisor has dealt with the waves of earlier weeks; the recent ones are open."""

    supervisor = User.objects.filter(username="supervisor").first()
    if supervisor is None:
        return
    for alert in CrisisAlert.objects.filter(created_at__lt=now - OPEN_ALERT_AGE).order_by("pk"):
        at = alert.created_at + timedelta(minutes=40 + alert.pk % 7 * 25)
        last = _last_pk(AuditEntry)
        do_crisis_alert_acknowledge(
            actor=supervisor, alert=alert, note="已联系相关部门排查原因，安排专人回访涉及客户。"
        )
        CrisisAlert.objects.filter(pk=alert.pk).update(acknowledged_at=at)
        AuditEntry.objects.filter(pk__gt=last).update(created_at=at)


def _read_old_notifications(*, now: datetime) -> None:
    """Staff read what came in before the last few days; the newest are still unread."""
    old = Notification.objects.filter(created_at__lt=now - UNREAD_AGE, read_at__isnull=True)
    rows = [
        Notification(pk=pk, read_at=min(at + timedelta(minutes=15 + pk % 11 * 20), now))
        for pk, at in old.values_list("pk", "created_at")
    ]
    Notification.objects.bulk_update(rows, ["read_at"], batch_size=500)


def _recompute_major(complaints: list[Complaint]) -> None:
    """The services judged each complaint at load time, before it was backdated: judge again
    with the story's times, and keep only the alerts a supervisor would still be reading."""
    policy = ComplaintPolicy.load()
    recent = timezone.now() - timedelta(days=3)
    fresh = []
    for complaint in complaints:
        complaint.major_reasons = major_reasons_for(complaint, policy)
        complaint.is_major = bool(complaint.major_reasons)
        complaint.major_at = complaint.received_at if complaint.is_major else None
        if complaint.is_major and complaint.received_at >= recent:
            fresh.append(complaint)
    Notification.objects.filter(kind="major_complaint").delete()
    ComplaintStep.objects.filter(step=Step.MAJOR).delete()
    ComplaintStep.objects.bulk_create(
        ComplaintStep(
            complaint=complaint,
            step=Step.MAJOR,
            at=complaint.received_at,
            state=complaint.state,
            note="、".join(str(MajorReason(code).label) for code in complaint.major_reasons),
        )
        for complaint in complaints
        if complaint.is_major
    )
    for complaint in fresh:
        ticket = complaint.ticket
        last = _last_pk(Notification)
        do_notify(
            recipients=management_recipients(),
            kind="major_complaint",
            title=_("重大投诉：%(number)s %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
            body="、".join(str(MajorReason(code).label) for code in complaint.major_reasons),
            url=reverse("tickets:detail", args=[ticket.pk]),
        )
        Notification.objects.filter(pk__gt=last).update(created_at=complaint.major_at)
