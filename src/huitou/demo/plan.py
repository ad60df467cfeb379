"""Planning the demo dataset: the service desk of a home-appliance company.

`plan_demo` draws everything from one seeded Random and touches no database, so every load
holds the same customers and tickets; `huitou.demo.loader` turns the plan into rows.
"""

import itertools
import random
from dataclasses import dataclass

from huitou.customers.models import CustomerKind, Gender, Stage, Tier
from huitou.tickets.models import Channel, Direction, Priority, Status, TicketType

from . import phrases as ph

SEED = 2026
DAYS = 90
CUSTOMER_COUNT = 200
TICKET_COUNT = 1000

AGENTS = ["agent1", "agent2", "agent3", "agent4"]
STATUSES = [Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED]
PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
# Calls and chats only come in while the hotline is staffed (8:00-22:00).
STAFFED_HOUR_WEIGHTS = [w if 8 <= hour < 22 else 0 for hour, w in enumerate(ph.HOUR_WEIGHTS)]
# A little busier lately, and today is only partly over.
DAY_WEIGHTS = [0.6] + [1.3 - 0.5 * day / DAYS for day in range(1, DAYS)]


@dataclass(frozen=True)
class CustomerPlan:
    fields: dict  # for do_customer_create
    contact: str  # whom staff talk to: the customer, or an organisation's contact person
    salutation: str
    days_ago: float  # when the record was made, unless a ticket needs it earlier


@dataclass(frozen=True)
class Step:
    kind: str  # "customer" message, staff "reply", internal "note", or ticket "update"
    actor: str  # username; "" for the customer
    delay: float  # minutes after the previous step
    body: str = ""
    changes: tuple[tuple[str, str | None], ...] = ()  # users and departments by name


@dataclass(frozen=True)
class TicketPlan:
    customer: int  # index into DemoPlan.customers
    fields: dict  # for do_ticket_create
    creator: str
    assignee: str | None
    day: int  # days before today
    moment: float  # fraction of that day; today, of the part of it that has passed
    status: str  # the status the steps end in
    steps: tuple[Step, ...]
    product: str = ""


@dataclass(frozen=True)
class DemoPlan:
    customers: tuple[CustomerPlan, ...]
    tickets: tuple[TicketPlan, ...]  # in the order they came in


def plan_demo(*, scale: float = 1.0, seed: int = SEED) -> DemoPlan:
    """The whole dataset, decided up front; `scale` shrinks it (the tests use a fraction)."""
    rng = random.Random(seed)
    customers = _plan_customers(rng, max(12, round(CUSTOMER_COUNT * scale)))
    tickets = _plan_tickets(rng, customers, max(30, round(TICKET_COUNT * scale)))
    duplicates = max(3, round(DUPLICATES * scale))
    customers += _plan_duplicates(random.Random(seed + 1), customers, duplicates)
    return DemoPlan(customers=tuple(customers), tickets=tuple(tickets))


# Complaints: valuable customers are served first (the VIP desk, higher priority), so few
# of them get as far as a complaint; one from tier A is major by rule [003], and the
# purchases promote the best "B" customers to A, hence B's low weight too. A customer who
# complained in the last month has usually been looked after since: a repeat within the
# policy's window (also major) is rare.
COMPLAINT_TIER_WEIGHTS = {"A": 0.05, "B": 0.1, "C": 1, "D": 1}
REPEAT_WINDOW_DAYS = 30  # ComplaintPolicy.repeat_window_days
REPEAT_WEIGHT = 0.02


def _complainant(rng: random.Random, customers: list[CustomerPlan], day: int, days: dict) -> int:
    weights = [
        COMPLAINT_TIER_WEIGHTS[c.fields["tier"]]
        * ph.STAGE_WEIGHTS[TicketType.COMPLAINT][c.fields["stage"]]
        * (REPEAT_WEIGHT if any(abs(day - d) <= REPEAT_WINDOW_DAYS for d in days[i]) else 1)
        for i, c in enumerate(customers)
    ]
    index = rng.choices(range(len(customers)), weights=weights)[0]
    days[index].append(day)
    return index


# Records an agent filed again because the search missed the customer: the same mobile
# number written differently, the same e-mail with the name mistyped, a company without
# its "有限公司". The cleansing page should find them.
DUPLICATES = 5


def _plan_duplicates(
    rng: random.Random, customers: list[CustomerPlan], count: int
) -> list[CustomerPlan]:
    people = [
        c for c in customers
        if c.fields["kind"] == CustomerKind.INDIVIDUAL and c.fields["phone"].startswith("1")
    ]  # fmt: skip
    mailed = [c for c in people if c.fields["email"]]
    companies = [
        c for c in customers
        if c.fields["kind"] == CustomerKind.ORGANIZATION and "有限公司" in c.fields["name"]
    ]  # fmt: skip
    recipes = ["phone", "email", "company", "phone", "email"]
    chosen: set[str] = set()
    duplicates = []
    for recipe in recipes[:count]:
        pool = {"phone": people, "email": mailed or people, "company": companies or people}
        options = [c for c in pool[recipe] if c.fields["name"] not in chosen]
        if not options:
            continue
        original = rng.choice(options)
        chosen.add(original.fields["name"])
        fields = {**original.fields, "tier": Tier.D, "stage": Stage.POTENTIAL, "note": ""}
        fields.update(address="", is_internal=False)
        phone = original.fields["phone"]
        if recipe == "phone":  # 13812345678 → 138-1234-5678, and no e-mail this time
            fields.update(phone=f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", email="")
        elif recipe == "email" and original.fields["email"]:  # a typo in the given name
            given = ph.GIVEN_MALE if fields["gender"] == Gender.MALE else ph.GIVEN_FEMALE
            fields.update(name=original.fields["name"][0] + rng.choice(given), phone="")
        else:  # the company without its legal form, reached on another line
            fields.update(name=original.fields["name"].replace("有限公司", "公司"), email="")
            fields["phone"] = _landline(rng, original.fields["city"])
        duplicates.append(
            CustomerPlan(
                fields=fields,
                contact=original.contact,
                salutation=original.salutation,
                days_ago=rng.uniform(2, 60),
            )
        )
    return duplicates


def _spread(rng: random.Random, shares: dict, n: int) -> list:
    """n values in proportion to `shares`, each at least once, shuffled."""
    total = sum(shares.values())
    counts = {key: max(1, int(n * share / total)) for key, share in shares.items()}
    by_size = sorted(shares, key=lambda key: -shares[key])
    for key in itertools.islice(itertools.cycle(by_size), max(0, n - sum(counts.values()))):
        counts[key] += 1
    while sum(counts.values()) > n:
        counts[max(by_size, key=lambda key: counts[key])] -= 1
    values = [key for key in shares for _i in range(counts[key])]
    rng.shuffle(values)
    return values


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _surname(rng: random.Random) -> tuple[str, str]:
    # The thirty commonest surnames cover most people.
    return rng.choice(ph.SURNAMES[:30] if rng.random() < 0.7 else ph.SURNAMES)


def _unique(used: set, make):
    """make() until it returns something whose first item is not in `used` yet."""
    for _attempt in range(100):
        value = make()
        key = value[0] if isinstance(value, tuple) else value
        if key not in used:
            used.add(key)
            return value
    raise RuntimeError("demo word lists are too small")


def _mobile(rng: random.Random) -> str:
    return rng.choice(ph.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _landline(rng: random.Random, city: str) -> str:
    return f"{ph.CITIES[city][0]}-{rng.choice('2345678')}{rng.randrange(10**7):07d}"


def _plan_customers(rng: random.Random, n: int) -> list[CustomerPlan]:
    tiers = _spread(rng, ph.TIER_SHARES, n)
    stages = _spread(rng, ph.STAGE_SHARES, n)
    organisation = [rng.random() < ph.ORGANIZATION_CHANCE[tier] for tier in tiers]
    kinds = [CustomerKind.ORGANIZATION if org else CustomerKind.INDIVIDUAL for org in organisation]
    if CustomerKind.ORGANIZATION not in kinds:
        kinds[tiers.index(Tier.A)] = CustomerKind.ORGANIZATION
    if CustomerKind.INDIVIDUAL not in kinds:
        kinds[tiers.index(Tier.D)] = CustomerKind.INDIVIDUAL
    names: set[str] = set()
    phones: set[str] = set()
    return [
        _plan_customer(rng, tier, stage, kind, names, phones)
        for tier, stage, kind in zip(tiers, stages, kinds, strict=True)
    ]


def _plan_customer(rng, tier, stage, kind, names: set, phones: set) -> CustomerPlan:
    city = _weighted(rng, {city: weight for city, (_code, weight, _d) in ph.CITIES.items()})
    district = rng.choice(ph.CITIES[city][2])
    street = f"{district}{rng.choice(ph.ROADS)}{rng.randint(1, 1500)}号"
    is_internal = False
    if kind == CustomerKind.INDIVIDUAL:
        gender = rng.choice([Gender.MALE, Gender.FEMALE])
        given = ph.GIVEN_MALE if gender == Gender.MALE else ph.GIVEN_FEMALE

        def person():
            surname, pinyin = _surname(rng)
            return surname + rng.choice(given), surname, pinyin

        name, surname, surname_pinyin = _unique(names, person)
        contact = name
        salutation = surname + ("先生" if gender == Gender.MALE else "女士")
        roll = rng.random()
        phone = _mobile(rng) if roll < 0.9 else _landline(rng, city) if roll < 0.97 else ""
        email = ""
        if rng.random() < 0.35:
            if rng.random() < 0.5:  # a QQ number
                email = f"{rng.randint(10**7, 3 * 10**9)}@qq.com"
            else:
                email = f"{surname_pinyin}{rng.randint(60, 2005)}@{rng.choice(ph.MAIL_DOMAINS)}"
        room = f"{rng.randint(1, 30)}栋{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
        estate = rng.choice(ph.ESTATES) + room
        address = f"{street}{estate}" if rng.random() < 0.75 else ""
        note = rng.choice(ph.CUSTOMER_NOTES) if rng.random() < 0.15 else ""
        if tier == Tier.D and rng.random() < 0.04:
            is_internal, note = True, ph.INTERNAL_NOTE
    else:
        gender = Gender.UNKNOWN

        def organisation():
            trade, pinyin = rng.choice(ph.ORG_NAMES)
            return f"{city}{trade}{rng.choice(ph.ORG_KINDS)}", pinyin

        name, trade_pinyin = _unique(names, organisation)
        surname, title = _surname(rng)[0], rng.choice(ph.ORG_CONTACT_TITLES)
        contact, salutation = surname + title, surname + title[-2:]  # 采购经理 → 王经理
        phone = _landline(rng, city) if rng.random() < 0.65 else _mobile(rng)
        mailbox = rng.choice(["service", "kefu", "admin", "caigou"])
        email = f"{mailbox}@{trade_pinyin}{rng.randint(1, 99)}.com.cn" if rng.random() < 0.8 else ""
        address = street if rng.random() < 0.95 else ""
        note = rng.choice(ph.ORG_NOTES) if rng.random() < 0.4 else ""
    if phone and phone in phones:
        phone = _unique(phones, lambda: _mobile(rng))
    phones.add(phone)
    fields = {"name": name, "kind": kind, "tier": tier, "stage": stage, "gender": gender}
    fields.update(phone=phone, email=email, city=city, address=address, note=note)
    long_known = stage in (Stage.CURRENT, Stage.LOST)
    return CustomerPlan(
        fields={**fields, "is_internal": is_internal},
        contact=contact,
        salutation=salutation,
        days_ago=rng.uniform(95, 1500) if long_known else rng.uniform(1, 400),
    )


def _status_for_age(rng: random.Random, day: int) -> str:
    weights = next(weights for limit, weights in ph.STATUS_WEIGHTS_BY_AGE if day <= limit)
    return rng.choices(STATUSES, weights=weights)[0]


def _plan_tickets(rng: random.Random, customers: list[CustomerPlan], n: int) -> list[TicketPlan]:
    types = _spread(rng, ph.TYPE_SHARES, n)
    channels = _spread(rng, ph.CHANNEL_SHARES, n)
    days = rng.choices(range(DAYS), weights=DAY_WEIGHTS, k=n)
    statuses = [_status_for_age(rng, day) for day in days]
    # Small samples may miss a status: give it to the youngest ticket of a common one.
    for status in STATUSES:
        if status not in statuses:
            spare = min(
                (i for i in range(n) if statuses.count(statuses[i]) > 1), key=lambda i: days[i]
            )
            statuses[spare] = status
    cumulative = {
        type_: list(
            itertools.accumulate(
                ph.TIER_WEIGHTS[c.fields["tier"]]
                * ph.STAGE_WEIGHTS.get(type_, ph.SERVICE_STAGE_WEIGHTS)[c.fields["stage"]]
                * (2 if c.fields["kind"] == CustomerKind.ORGANIZATION else 1)
                for c in customers
            )
        )
        for type_ in ph.TYPE_SHARES
    }
    tickets = []
    complaint_days: dict[int, list[int]] = {i: [] for i in range(len(customers))}
    for type_, channel, day, status in zip(types, channels, days, statuses, strict=True):
        if type_ == TicketType.COMPLAINT:
            index = _complainant(rng, customers, day, complaint_days)
        else:
            index = rng.choices(range(len(customers)), cum_weights=cumulative[type_])[0]
        tickets.append(_plan_ticket(rng, index, customers[index], type_, channel, day, status))
    return sorted(tickets, key=lambda ticket: (-ticket.day, ticket.moment))


def _topic(rng: random.Random, type_: str, product: str) -> tuple[str, str | None, str, str]:
    """(subject, department it may go to, what the customer says, the answer) for a ticket."""
    if type_ == TicketType.TECHNICAL:
        fault, text, fix = rng.choice(ph.FAULTS[product])
        department = rng.choice(["售后服务部", "售后服务部", "售后服务部", "质量部"])
        return product + fault, department, text, ph.TECHNICAL_ANSWER.replace("{fix}", fix)
    if type_ == TicketType.CONSULTATION and rng.random() < 0.35:
        return ph.PRODUCT_QUESTIONS[product]
    return rng.choice(ph.TOPICS[type_])


def _plan_ticket(rng, index, customer: CustomerPlan, type_, channel, day, status) -> TicketPlan:
    product = _weighted(rng, ph.PRODUCT_WEIGHTS)
    agent = rng.choice(AGENTS)
    agent_surname = next(full[0] for name, _r, _d, full in ph.DEMO_USERS if name == agent)
    tier, phone = customer.fields["tier"], customer.fields["phone"]
    words = {
        "p": product,
        "m": rng.choice(ph.PRODUCTS[product]),
        "city": customer.fields["city"],
        "sal": customer.salutation,
        "worker": _surname(rng)[0] + "师傅",
        "agent": "小" + agent_surname,
    }
    subject, department, text, answer = _topic(rng, type_, product)
    subject, text = subject.format(**words), text.format(**words)
    if type_ in (TicketType.TECHNICAL, TicketType.COMPLAINT) and rng.random() < 0.6:
        bought = f"{rng.choice(ph.BOUGHT_WHEN)}在{rng.choice(ph.BOUGHT_WHERE)}买的"
        text = f"我家的{product}（型号 {words['m']}）是{bought}。{text}"
    direction = Direction.INBOUND
    if channel == Channel.PHONE:
        if type_ in (TicketType.SUGGESTION, TicketType.PRAISE) and rng.random() < 0.5:
            direction, subject = Direction.OUTBOUND, f"回访：{subject}"
            text = f"回访时客户反馈：{text}"
        else:
            text = f"客户来电反映：{text}"
    priority = rng.choices(PRIORITIES, weights=ph.PRIORITY_WEIGHTS[type_])[0]
    if tier == Tier.A and priority == Priority.NORMAL and rng.random() < 0.3:
        priority = Priority.HIGH  # important customers are served first
    creator = "admin" if channel == Channel.API else rng.choice(AGENTS)
    assignee = None
    if channel in (Channel.PHONE, Channel.CHAT, Channel.WECHAT) and rng.random() < 0.6:
        assignee = creator  # whoever took the call keeps the ticket
    if department and rng.random() >= ph.DISPATCH_CHANCE[type_]:
        department = None
    staffed = channel in (Channel.PHONE, Channel.CHAT, Channel.WECHAT)
    hours = STAFFED_HOUR_WEIGHTS if staffed else ph.HOUR_WEIGHTS
    if day == 0:
        moment = rng.random()
    else:
        moment = (rng.choices(range(24), weights=hours)[0] + rng.random()) / 24
    flow = _Flow(rng, words, type_, channel, priority, tier, assignee, department)
    fields = {"type": type_, "channel": channel, "direction": direction, "priority": priority}
    fields.update(subject=subject, description=text, contact_name=customer.contact)
    fields["contact_phone"] = phone if staffed else ""
    return TicketPlan(
        customer=index,
        fields=fields,
        creator=creator,
        assignee=assignee,
        day=day,
        moment=moment,
        status=status,
        steps=flow.plan(status, text, answer),
        product=product,
    )


class _Flow:
    """What happens to one ticket after it comes in, as steps ending in the wanted status."""

    def __init__(self, rng, words, type_, channel, priority, tier, assignee, department):
        self.rng, self.words, self.type = rng, words, type_
        self.channel, self.priority, self.tier = channel, priority, tier
        self.assignee, self.department = assignee, department
        self.steps: list[Step] = []

    def add(self, kind, actor, low, high, body="", **changes) -> None:
        delay = self.rng.uniform(low, high)
        if self.priority == Priority.URGENT:
            delay /= 3  # urgent tickets move faster
        text = body.format(**self.words) if body else ""
        self.steps.append(Step(kind, actor, delay, text, tuple(changes.items())))

    def pick(self, phrases) -> str:
        return self.rng.choice(phrases)

    def plan(self, status: str, text: str, answer: str) -> tuple[Step, ...]:
        rng = self.rng
        if self.channel != Channel.PHONE:  # a call has no written message of its own
            self.steps.append(Step("customer", "", 0, text))
        if status == Status.NEW:
            if self.assignee is None and rng.random() < 0.3:
                self.add("update", "supervisor", 3, 60, assignee=rng.choice(AGENTS))
            return tuple(self.steps)
        self.take()
        quick = self.channel in (Channel.PHONE, Channel.CHAT, Channel.WECHAT)
        finished = status in (Status.RESOLVED, Status.CLOSED)
        # Praise, suggestions and simple questions on the line get their answer at once.
        direct = finished and (
            self.type in (TicketType.PRAISE, TicketType.SUGGESTION)
            or (self.type == TicketType.CONSULTATION and quick and rng.random() < 0.6)
        )
        if not direct:
            first_reply = self.pick(ph.FIRST_REPLIES[self.type])
            self.add("reply", self.assignee, *((1, 10) if quick else (10, 360)), first_reply)
            complaint = self.type == TicketType.COMPLAINT
            if complaint and self.priority == Priority.NORMAL and rng.random() < 0.3:
                self.add("update", "supervisor", 10, 120, priority=Priority.HIGH)
            if self.tier == Tier.A and rng.random() < 0.5:
                self.add("note", self.assignee, 1, 20, ph.TIER_A_NOTE)
            elif rng.random() < 0.15:
                self.add("note", self.assignee, 5, 120, self.pick(ph.AGENT_NOTES))
        if self.department:
            self.dispatch()
        if status == Status.OPEN:
            return tuple(self.steps)
        if not direct and (status == Status.PENDING or rng.random() < 0.3):
            question, reply = self.pick(ph.QUESTIONS_FOR_CUSTOMER[self.type])
            self.add("reply", self.assignee, 30, 600, question)
            self.add("update", self.assignee, 0.5, 3, status=Status.PENDING)
            if status == Status.PENDING:
                return tuple(self.steps)
            self.add("customer", "", 60, 2880, reply)
            self.add("update", self.assignee, 5, 120, status=Status.OPEN)
        if not direct and status == Status.CLOSED and rng.random() < 0.08:
            self.add("note", self.assignee, 10, 600, self.pick(ph.CLOSE_WITHOUT_FIX_NOTES))
            self.add("update", self.assignee, 0.5, 3, status=Status.CLOSED)
            return tuple(self.steps)
        self.resolve(answer, (1, 15) if direct and quick else None)
        if rng.random() < 0.06:  # the fix did not hold
            self.add("customer", "", 1440, 7200, self.pick(ph.REOPEN_MESSAGES))
            self.add("update", self.assignee, 5, 240, status=Status.OPEN)
            self.resolve(ph.REOPEN_ANSWER)
        if rng.random() < 0.15:
            self.add("note", "qa", 60, 2880, self.pick(ph.QA_NOTES))
        if status == Status.CLOSED:
            closer = self.assignee if rng.random() < 0.7 else "supervisor"
            self.add("update", closer, 1440, 10080, status=Status.CLOSED)
        return tuple(self.steps)

    def take(self) -> None:
        if self.assignee is None:
            agent = self.rng.choice(AGENTS)
            by = "supervisor" if self.rng.random() < 0.6 else agent
            self.add("update", by, 3, 90, assignee=agent)
            self.assignee = agent

    def dispatch(self) -> None:
        handler = ph.HANDLERS[self.department]
        self.add("update", self.assignee, 5, 60, department=self.department)
        self.add("note", self.assignee, 0.5, 5, ph.DISPATCH_NOTES[self.department])
        roll = self.rng.random()
        if roll < 0.55:  # the department takes it over
            self.add("update", handler, 20, 480, assignee=handler)
            self.assignee = handler
        elif roll < 0.7:
            self.add("update", "supervisor", 10, 240, assignee=handler)
            self.assignee = handler
        if self.assignee == handler or self.rng.random() < 0.5:
            self.add("note", handler, 10, 240, self.pick(ph.HANDLER_NOTES[self.department]))

    def resolve(self, answer: str, window: tuple[float, float] | None = None) -> None:
        slow = self.type in (TicketType.TECHNICAL, TicketType.COMPLAINT)
        window = window or ((240, 4320) if slow else (30, 1440))
        self.add("reply", self.assignee, *window, answer)
        self.add("update", self.assignee, 0.5, 5, status=Status.RESOLVED)
