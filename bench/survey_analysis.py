"""`python -m bench.survey_analysis`: the satisfaction analysis page over 1,000,000 answers.

Target [issue 16]: the analysis page (/surveys/) over 1,000,000 questionnaire answers on
PostgreSQL in under 1 s, its figures being SQL aggregates. The free-text themes
(/surveys/themes/) load in their own request and are timed but not part of the target.

Data, made by SQL on the server (generate_series + random(); not measured): the built-in
SERVQUAL (49 scale answers per sheet) and evaluation (13 scale answers, sometimes a text)
questionnaires, published through the services; their answer sheets and answers
(`--answers`, default 1,000,000); contact ratings (`--ratings` Response rows with a rating,
some with NPS or a comment) with their invitations (about 40 % answered), all spread over
365 days and over 40 agents in 5 departments, 6 queues, the channels, tiers and ticket types.

Each figure of surveys.figures is timed over the last 90 days and the whole year (median and
p95 of `--repeat` runs), then the page and the themes as a supervisor. Baselines timed in the
same run (the machines are noisy): `SELECT count(*) FROM surveys_answer`, and the page over an
empty period (the cost of rendering and everything but the aggregates).

The database is `bench_surveys` (BENCH_SURVEYS_DATABASE_URL names another): made afresh and
dropped at the end; `--keep` keeps it, and `--reuse` measures a kept one again without
loading (after migrating it, so new indexes apply).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from bench.archive import Database, setup_django

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_surveys"
TARGET = 1.0
AGENTS = 40
DEPARTMENTS = ["售后服务部", "技术支持部", "销售部", "投诉处理部", "会员服务部"]
QUEUES = ["普通咨询", "VIP 专席", "技术支持", "订单售后", "投诉专席", "在线客服"]
# Weighted by repetition: most contacts come by phone and chat.
CHANNELS = ["phone"] * 4 + ["chat"] * 3 + ["wechat"] * 2 + ["web", "email"]
TIERS = ["A"] + ["B"] * 2 + ["C"] * 4 + ["D"] * 3
TYPES = ["consultation"] * 5 + ["technical"] * 2 + ["order"] * 2 + ["complaint", "suggestion"]
COMMENTS = [
    "等待时间太长了", "客服很耐心，问题解决了", "电话一直打不通", "处理速度很快，满意",
    "问题没有解决，还要再打电话", "态度很好", "答复不清楚，转接了好几次", "物流太慢",
    "退款一直没到账", "安装师傅很专业", "希望能有更多在线客服", "发票开错了",
]  # fmt: skip


def sql_array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]"


def pick(values) -> str:
    """An SQL expression picking one of `values` at random (repetition weights)."""
    return f"({sql_array(values)})[1 + floor(random() * {len(values)})::int]"


# -- data ----------------------------------------------------------------------------------


def make_people():
    # Imported here: Django is set up in main() (a database of its own) before this runs.
    from huitou.accounts.models import Department
    from huitou.accounts.tests.factories import UserFactory
    from huitou.customers.tests.factories import CustomerFactory
    from huitou.sla.models import Queue
    from huitou.tickets.tests.factories import TicketFactory

    # get_or_create: the migrations seed some departments and queues.
    departments = [Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS]
    queues = [Queue.objects.get_or_create(name=name)[0] for name in QUEUES]
    agents = [
        UserFactory(username=f"bench-agent{n}", role="agent", department=departments[n % 5])
        for n in range(AGENTS)
    ]
    customers = CustomerFactory.create_batch(20)
    tickets = [TicketFactory(customer=customers[n], assignee=agents[n]) for n in range(20)]
    supervisor = UserFactory(username="bench-lead", role="supervisor")
    return departments, queues, agents, customers, tickets, supervisor


def generate(*, answers: int, ratings: int) -> dict:
    """Questionnaires through the services, then sheets, answers and ratings by SQL."""
    # Imported here: Django is set up in main() (a database of its own) before this runs.
    from django.db import connection, transaction

    from huitou.surveys.builtin import ensure_builtin_questionnaires
    from huitou.surveys.models import Question

    _departments, queues, agents, customers, tickets, supervisor = make_people()
    made = {q.builtin: q for q in ensure_builtin_questionnaires()}
    servqual, evaluation = made["servqual"], made["evaluation"]
    scale = {}
    for questionnaire in (servqual, evaluation):
        scale[questionnaire.pk] = list(
            Question.objects.filter(version=questionnaire.current_version, kind="scale")
        )
    per_servqual, per_evaluation = len(scale[servqual.pk]), len(scale[evaluation.pk])
    # 40 % of the answers from SERVQUAL sheets, 60 % from the evaluation.
    servqual_sheets = round(answers * 0.4 / per_servqual)
    evaluation_sheets = round((answers - servqual_sheets * per_servqual) / per_evaluation)
    text_question = Question.objects.get(version=evaluation.current_version, kind="text")
    overall = next(q for q in scale[evaluation.pk] if q.overall)

    agent_ids = [agent.pk for agent in agents]
    agent_departments = [agent.department_id for agent in agents]
    agent_queues = [queues[n % len(queues)].pk for n in range(len(agents))]
    dims = f"""
        ({sql_array(agent_ids)}::bigint[])[a] AS agent_id,
        ({sql_array(agent_departments)}::bigint[])[a] AS department_id,
        ({sql_array(agent_queues)}::bigint[])[a] AS queue_id,
        {pick(CHANNELS)} AS channel, {pick(TIERS)} AS tier, {pick(TYPES)} AS ticket_type
    """
    # A skewed 5-level rating: 很好 45 %, 好 30 %, 较好 12 %, 一般 8 %, 差 5 %.
    rating = "(ARRAY[5,5,5,5,5,5,5,5,5,4,4,4,4,4,4,3,3,2,2,1])[1 + floor(random() * 20)::int]"
    nps = "least(10, greatest(0, round(8 + random() * 4 - random() * 6)))::int"
    with transaction.atomic(), connection.cursor() as cursor:
        # Questionnaire sheets, in time order (ids grow with answered_at, as in production).
        cursor.execute(
            f"""
            INSERT INTO surveys_response (version_id, questionnaire_id, rating, nps, comment,
                reason, agent_id, department_id, queue_id, channel, tier, ticket_type,
                answered_at, customer_id, ticket_id)
            SELECT version_id, questionnaire_id, NULL, NULL, '', '', agent_id, department_id,
                queue_id, channel, tier, ticket_type, answered_at, NULL, NULL
            FROM (
                SELECT CASE WHEN g <= %(sq)s THEN %(sq_v)s ELSE %(ev_v)s END AS version_id,
                    CASE WHEN g <= %(sq)s THEN %(sq_q)s ELSE %(ev_q)s END AS questionnaire_id,
                    now() - random() * interval '365 days' AS answered_at, {dims}
                FROM (SELECT g, 1 + floor(random() * %(agents)s)::int AS a
                      FROM generate_series(1, %(sheets)s) AS g) AS s
            ) AS rows ORDER BY answered_at
            """,
            {
                "sq": servqual_sheets,
                "sheets": servqual_sheets + evaluation_sheets,
                "sq_v": servqual.current_version_id,
                "ev_v": evaluation.current_version_id,
                "sq_q": servqual.pk,
                "ev_q": evaluation.pk,
                "agents": len(agents),
            },
        )
        # Scale answers: expectations high, perceptions a little lower, importance between.
        cursor.execute(
            """
            INSERT INTO surveys_answer (response_id, question_id, item, choice, number, text)
            SELECT r.id, q.id, '', '', least(5, greatest(1, round(
                CASE q.side WHEN 'expectation' THEN 4.4 WHEN 'importance' THEN 4.1 ELSE 3.9 END
                + random() * 2 - random() * 2.6)))::int, ''
            FROM surveys_response r
            JOIN surveys_question q ON q.version_id = r.version_id AND q.kind = 'scale'
            WHERE r.version_id IN (%s, %s)
            """,
            [servqual.current_version_id, evaluation.current_version_id],
        )
        # The evaluation's overall question is the sheet's rating; a fifth write a text.
        cursor.execute(
            """
            UPDATE surveys_response r SET rating = a.number
            FROM surveys_answer a WHERE a.response_id = r.id AND a.question_id = %s
            """,
            [overall.pk],
        )
        cursor.execute(
            f"""
            INSERT INTO surveys_answer (response_id, question_id, item, choice, number, text)
            SELECT id, %s, '', '', NULL, {pick(COMMENTS)}
            FROM surveys_response WHERE version_id = %s AND random() < 0.2
            """,
            [text_question.pk, evaluation.current_version_id],
        )
        # Contact ratings: invitations sent over the year, about 40 % answered.
        invitations = round(ratings / 0.4)
        cursor.execute(
            f"""
            INSERT INTO surveys_invitation (kind, token, state, skip_reason, channel, address,
                due_at, sent_at, reminders_sent, last_sent_at, expires_at, answered_at,
                created_at, customer_id)
            SELECT 'contact', md5('bench' || g), CASE WHEN g %% 5 < 2 THEN 'answered'
                ELSE 'expired' END, '', {pick(CHANNELS)}, '', sent_at, sent_at, 0, sent_at,
                sent_at + interval '14 days',
                CASE WHEN g %% 5 < 2 THEN sent_at + random() * interval '2 days' END,
                sent_at, %s
            FROM (SELECT g, now() - random() * interval '365 days' AS sent_at
                  FROM generate_series(1, %s) AS g) AS s ORDER BY sent_at
            """,
            [customers[0].pk, invitations],
        )
        cursor.execute(
            f"""
            INSERT INTO surveys_response (invitation_id, rating, nps, comment, reason,
                agent_id, department_id, queue_id, channel, tier, ticket_type, answered_at,
                customer_id, ticket_id)
            SELECT id, rating, CASE WHEN random() < 0.3 THEN {nps} END,
                CASE WHEN random() < 0.1 THEN {pick(COMMENTS)} ELSE '' END,
                CASE WHEN rating <= 2 THEN 'waiting' ELSE '' END, agent_id, department_id,
                queue_id, channel, tier, ticket_type, answered_at, %s, %s
            FROM (
                SELECT i.id, least(i.answered_at, now()) AS answered_at, {rating} AS rating,
                    {dims}
                FROM (SELECT *, 1 + floor(random() * %s)::int AS a FROM surveys_invitation
                      WHERE state = 'answered' ORDER BY id LIMIT %s) AS i
            ) AS rows ORDER BY answered_at
            """,
            [customers[0].pk, tickets[0].pk, len(agents), ratings],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"supervisor": supervisor, "servqual_sheets": servqual_sheets}


# -- measuring -----------------------------------------------------------------------------


def samples(call, repeat: int) -> list[float]:
    call()  # warm: the first run pays for cold caches and plan preparation
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, times: list[float], baseline: float, extra: str = "") -> float:
    median = statistics.median(times)
    print(
        f"  {name:34s} median {median * 1000:8.1f} ms  p95 {p95(times) * 1000:8.1f} ms"
        f"  {median / baseline:7.1f}× count(*){extra}"
    )
    return median


def measure(supervisor, repeat: int) -> None:
    # Imported here: Django is set up in main() (a database of its own) before this runs.
    from django.db import connection
    from django.test import Client

    from huitou.core.periods import Period
    from huitou.surveys import figures
    from huitou.surveys.figures import BREAKDOWNS, Scope
    from huitou.surveys.models import Answer, Invitation, Response

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('surveys_answer'))")
        size = cursor.fetchone()[0]
    print(
        f"rows: {Answer.objects.count():,} answers ({size}), {Response.objects.count():,} "
        f"answer sheets, {Invitation.objects.count():,} invitations"
    )

    def count_answers():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM surveys_answer")
            cursor.fetchone()

    baseline = statistics.median(samples(count_answers, repeat))
    print(f"baseline SELECT count(*) FROM surveys_answer: {baseline * 1000:.1f} ms")

    year = Period.last_days(365)
    for label, period in (("last 90 days", Period.last_days(90)), ("whole year", year)):
        scope = Scope(period=period)
        sheets = figures.sheets(user=supervisor, scope=scope).count()
        print(f"{label} ({period.start} … {period.end}, {sheets:,} answer sheets):")
        kw = {"user": supervisor, "scope": scope}
        calls = [("summary", partial(figures.summary, **kw))]
        calls += [
            (f"breakdown by {by}", partial(figures.breakdown, **kw, by=by)) for by in BREAKDOWNS
        ]
        calls += [
            ("trend (week)", partial(figures.trend, **kw, period="week")),
            ("trend (month)", partial(figures.trend, **kw, period="month")),
            (
                "crosstab channel × tier",
                partial(figures.crosstab, **kw, rows="channel", cols="tier"),
            ),
            ("indicators", partial(figures.indicators, **kw)),
            ("servqual", partial(figures.servqual, **kw)),
            ("texts (themes' query)", partial(figures.texts, **kw)),
        ]
        for name, call in calls:
            line(name, samples(call, repeat), baseline)

    client = Client()
    client.force_login(supervisor)

    def get(path, params=None):
        response = client.get(path, params or {})
        assert response.status_code == 200, response.status_code
        return response

    empty = {"start": "2001-01-01", "end": "2001-01-01"}
    whole = {"start": year.start.isoformat(), "end": year.end.isoformat()}
    empty_page = statistics.median(samples(lambda: get("/surveys/", empty), repeat))
    print(f"baseline GET /surveys/ over an empty period: {empty_page * 1000:.1f} ms")
    print("pages (supervisor, django.test.Client):")
    for name, params in (("GET /surveys/ (last 90 days)", None), ("GET /surveys/ (year)", whole)):
        times = samples(lambda params=params: get("/surveys/", params), repeat)
        median = statistics.median(times)
        verdict = "ok" if median < TARGET else "MISSED"
        line(
            name,
            times,
            baseline,
            f"  {median / empty_page:5.1f}× empty page; target < {TARGET:.0f} s {verdict}",
        )
    for name, params in (("GET /surveys/themes/ (90 days)", None), ("… (year)", whole)):
        times = samples(lambda params=params: get("/surveys/themes/", params), max(3, repeat // 2))
        median = statistics.median(times)
        line(name, times, baseline, f"  {median / empty_page:5.1f}× empty page (not in target)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--ratings", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_SURVEYS_DATABASE_URL") or DEFAULT_URL
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp), url)
        # Imported after setup_django: the models need the settings.
        from django.core.management import call_command

        from huitou.accounts.models import User

        db = Database(url, Path(tmp))
        reuse = args.reuse and db.exists()
        try:
            if reuse:
                call_command("migrate", verbosity=0)
                with_data = User.objects.filter(username="bench-lead").first()
                if with_data is None:
                    raise SystemExit(f"{db.name} holds no bench data: run without --reuse")
                supervisor = with_data
                print(f"reusing {db.name}")
            else:
                db.fresh()
                started = time.perf_counter()
                made = generate(answers=args.answers, ratings=args.ratings)
                elapsed = time.perf_counter() - started
                print(f"loaded in {elapsed:.0f} s (SQL on the server, with ANALYZE)")
                supervisor = made["supervisor"]
            measure(supervisor, args.repeat)
        finally:
            if args.keep or args.reuse:
                print(f"kept {db.name} (rerun with --reuse)")
            else:
                db.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
