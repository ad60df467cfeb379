"""`python -m bench.archive`: the customer archive at two sizes, on PostgreSQL.

Targets [issue: customer archive], with 100,000 customers and 1,000,000 transactions:
recomputing tiers and RFM tags under 30 s, the duplicate report under 60 s, importing
100,000 customer rows from CSV under 60 s. Each operation runs once per size; the table
shows seconds, the ratio to a baseline timed in the same run on the same data (a plain
`SELECT count(*)` over the transactions, since the machines are noisy), and large/small, so
you can see how it scales (10× the data: ~10 is linear).

The benchmark creates its own database (`huitou_bench`, fresh for each size) and drops it
at the end; BENCH_DATABASE_URL names another one, `--sqlite` uses a temporary SQLite file.
Data generation is deterministic (`--seed`) and is not part of the measured operations.
"""

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/huitou_bench"
OWN_NAME = "huitou_bench"
# Never created, emptied or dropped here: other runs use the test databases.
FORBIDDEN = {"postgres", "template0", "template1", "test", "test_test"}
TRANSACTIONS_PER_CUSTOMER = 10
TARGETS = {"tiers+RFM": 30.0, "dedupe report": 60.0, "import": 60.0}
TARGET_SIZE = 100_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈"
# Roughly how common they are: the first few surnames cover a large share of people.
SURNAME_WEIGHTS = [max(1.0, 8.0 - i * 0.35) for i in range(len(SURNAMES))]
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅琳晨浩宇欣怡涵子轩佳雪峰"
CITIES = [
    "上海", "北京", "广州", "深圳", "杭州", "南京", "成都", "重庆", "武汉", "西安",
    "苏州", "天津", "长沙", "郑州", "青岛", "宁波", "厦门", "合肥", "济南", "沈阳",
]  # fmt: skip
CITY_WEIGHTS = [12, 11, 9, 9, 7, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2]
FIRMS = ["华信", "宏达", "金鼎", "新世纪", "恒通", "瑞丰", "天成", "永盛", "东方", "博远"]
TRADES = ["科技", "贸易", "电子", "食品", "物流", "建材", "医药", "文化"]
FIRM_SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司"]
PRODUCTS = [
    "净水器", "滤芯套装", "空气净化器", "加湿器", "电饭煲", "破壁机", "扫地机器人", "吸尘器",
    "电热水壶", "咖啡机", "延保服务", "上门安装", "配件包", "会员年卡", "清洗服务",
]  # fmt: skip
CHANNELS = ["门店", "天猫", "京东", "微信小程序", "电话订购"]
STATES = ["completed", "paid", "shipped", "closed", "awaiting_payment"]
STATE_WEIGHTS = [80, 5, 5, 7, 3]
HISTORY_DAYS = 548  # about 18 months


# -- the database ------------------------------------------------------------------------


class Database:
    """A throwaway database: PostgreSQL (created and dropped here) or a SQLite file."""

    def __init__(self, url: str, var_dir: Path):
        self.url = url
        parts = urlsplit(url)
        self.postgres = parts.scheme.startswith("postgres")
        if self.postgres:
            self.name = parts.path.lstrip("/")
            if not self.name or self.name in FORBIDDEN:
                raise SystemExit(f"refusing to use database {self.name!r}: pick another name")
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        else:
            self.name = parts.path[1:] if parts.path.startswith("//") else parts.path
            self.path = Path(self.name)
        self.var_dir = var_dir

    def _admin(self, statement: str, *params) -> list:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    def exists(self) -> bool:
        if not self.postgres:
            return self.path.exists()
        return bool(self._admin("SELECT 1 FROM pg_database WHERE datname = %s", self.name))

    def create(self) -> None:
        from psycopg import sql

        if self.postgres:
            self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.postgres:
            from psycopg import sql

            self._admin(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def fresh(self) -> None:
        from django.core.management import call_command

        self.drop()
        self.create()
        call_command("migrate", verbosity=0)


def setup_django(var_dir: Path, url: str) -> None:
    os.environ["HUITOU_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "huitou.config.settings.test"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


# -- data ----------------------------------------------------------------------------------


# Mobile prefixes in use; 1790–1799 are IP-dialling prefixes that phonenumbers strips.
MOBILE_PREFIXES = [
    *range(130, 140), 145, 147, 149, *range(150, 154), *range(155, 160), 162, 165, 166,
    *range(170, 179), *range(180, 190), *range(190, 194), *range(195, 200),
]  # fmt: skip


def random_phone(rng: random.Random) -> str:
    """National digits of a Chinese mobile number: 1[3-9]x xxxx xxxx."""
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"


def written(digits: str, rng: random.Random) -> str:
    """The same mobile number the way people type it."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return rng.choice(
        [
            digits,
            f"{a} {b} {c}",
            f"{a}-{b}-{c}",
            f"+86 {a}-{b}-{c}",
            f"+86{digits}",
            f"+86 {digits}",
        ]
    )


def person_name(rng: random.Random) -> str:
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    return surname + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2, 2))))


def firm_name(rng: random.Random) -> str:
    return rng.choice(CITIES) + rng.choice(FIRMS) + rng.choice(TRADES) + rng.choice(FIRM_SUFFIXES)


def customer_fields(rng: random.Random, index: int, earlier: list[tuple[str, str]]) -> dict:
    """One customer; about 3% repeat an earlier phone (written differently) or e-mail."""
    organization = rng.random() < 0.1
    name = firm_name(rng) if organization else person_name(rng)
    roll = rng.random()
    if earlier and roll < 0.02:
        digits, email = rng.choice(earlier)
        email = ""
    elif earlier and roll < 0.03:
        digits, email = "", rng.choice(earlier)[1]
    else:
        digits = random_phone(rng) if rng.random() < 0.95 else ""
        email = f"u{index}@example.com" if rng.random() < 0.4 else ""
    if digits or email:
        if len(earlier) < 5000:
            earlier.append((digits, email))
        else:
            earlier[rng.randrange(5000)] = (digits, email)
    return {
        "kind": "organization" if organization else "individual",
        "name": name,
        "phone": written(digits, rng) if digits else "",
        "phone_digits": digits,
        "email": email,
        "city": rng.choices(CITIES, CITY_WEIGHTS)[0],
        "stage": rng.choices(["potential", "target", "current"], [2, 1, 7])[0],
        "gender": "" if organization else rng.choice(["", "male", "female"]),
    }


def generate_customers(rng: random.Random, count: int) -> list[int]:
    from django.utils import timezone

    from huitou.core.models import NumberSequence
    from huitou.customers.models import Customer, TierChange
    from huitou.customers.phones import phone_digits
    from huitou.customers.services import CUSTOMER_NUMBER_PREFIX

    year = timezone.localdate().year
    earlier: list[tuple[str, str]] = []
    batch: list = []
    for index in range(1, count + 1):
        fields = customer_fields(rng, index, earlier)
        if index <= 300:  # the digits we assign are what the app would compute
            assert phone_digits(fields["phone"]) == fields["phone_digits"], fields["phone"]
        batch.append(
            Customer(
                number=f"{CUSTOMER_NUMBER_PREFIX}{year}{index:06d}",
                external_id=f"ERP{index:07d}" if rng.random() < 0.3 else None,
                **fields,
            )
        )
        if len(batch) == 5000 or index == count:
            Customer.objects.bulk_create(batch)
            batch = []
    # Numbers issued later (the import) continue after ours.
    NumberSequence.objects.update_or_create(
        prefix=CUSTOMER_NUMBER_PREFIX, year=year, defaults={"last_value": count}
    )
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    TierChange.objects.bulk_create(
        [TierChange(customer_id=pk, tier="C", effective_at=now, source="initial") for pk in ids],
        batch_size=5000,
    )
    return ids


def transaction_rows(rng: random.Random, customer_ids: list[int], count: int):
    """(customer, time, product, quantity, amount, profit, channel, state) over 18 months.

    A fifth of the customers never bought; among the rest purchases are heavily skewed.
    """
    from django.utils import timezone

    buyers = [pk for pk in customer_ids if rng.random() < 0.8]
    weights = [rng.paretovariate(1.3) for _ in buyers]
    now = timezone.now()
    span = HISTORY_DAYS * 86400
    for customer_id in rng.choices(buyers, weights, k=count):
        amount = round(rng.lognormvariate(5.5, 1.0), 2) + 1
        yield (
            customer_id,
            now - timedelta(seconds=rng.randrange(span)),
            rng.choice(PRODUCTS),
            rng.choice((1, 1, 1, 2, 3)),
            Decimal(f"{amount:.2f}"),
            Decimal(f"{amount * rng.uniform(0.05, 0.35):.2f}"),
            rng.choice(CHANNELS),
            rng.choices(STATES, STATE_WEIGHTS)[0],
        )


def generate_transactions(rng: random.Random, customer_ids: list[int], count: int) -> None:
    from django.db import connection

    from huitou.customers.models import Transaction

    rows = transaction_rows(rng, customer_ids, count)
    if connection.vendor != "postgresql":
        batch = []
        for customer_id, moment, product, quantity, amount, profit, channel, state in rows:
            batch.append(
                Transaction(
                    customer_id=customer_id,
                    occurred_at=moment,
                    product=product,
                    quantity=quantity,
                    amount=amount,
                    profit=profit,
                    channel=channel,
                    state=state,
                )
            )
            if len(batch) == 10_000:
                Transaction.objects.bulk_create(batch)
                batch = []
        Transaction.objects.bulk_create(batch)
        return
    copy_sql = (
        "COPY customers_transaction (customer_id, occurred_at, product, quantity, amount,"
        " profit, channel, state, created_at) FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        chunk = io.StringIO()
        for n, (
            customer_id,
            moment,
            product,
            quantity,
            amount,
            profit,
            channel,
            state,
        ) in enumerate(rows, start=1):
            stamp = moment.isoformat()
            chunk.write(
                f"{customer_id}\t{stamp}\t{product}\t{quantity}\t{amount}\t{profit}"
                f"\t{channel}\t{state}\t{stamp}\n"
            )
            if n % 20_000 == 0:
                copy.write(chunk.getvalue())
                chunk = io.StringIO()
        copy.write(chunk.getvalue())


def analyze() -> None:
    """What autovacuum would have done on a live archive: fresh planner statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def create_tag_rules() -> None:
    from huitou.customers.models import Tag, TagRule, TagSource
    from huitou.customers.tagging import check_tag_rule

    rules = [
        ("上海高价值", "all", [
            {"field": "city", "op": "eq", "value": "上海"},
            {"field": "rfm_m", "op": "gte", "value": 4},
        ]),
        ("需要挽回", "any", [
            {"field": "rfm_segment", "op": "in", "value": ["重要挽留客户", "一般挽留客户"]},
            {"field": "days_since_purchase", "op": "gt", "value": 180},
        ]),
    ]  # fmt: skip
    for name, match, conditions in rules:
        tag = Tag.objects.create(name=name, source=TagSource.RULE)
        TagRule.objects.create(tag=tag, match=match, conditions=check_tag_rule(conditions))


def write_import_csv(rng: random.Random, path: Path, count: int) -> None:
    """New customers from a shop system: new external ids, so every row is a create."""
    kinds = {"individual": ["individual", "个人"], "organization": ["organization", "组织"]}
    stages = {"potential": "潜在客户", "target": "目标客户", "current": "现实客户"}
    earlier: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "email", "kind", "stage", "external_id"])
        for index in range(1, count + 1):
            fields = customer_fields(rng, 10_000_000 + index, earlier)
            stage = fields["stage"]
            writer.writerow(
                [
                    fields["name"],
                    fields["phone"],
                    fields["email"].upper() if rng.random() < 0.05 else fields["email"],
                    kinds[fields["kind"]][rng.random() < 0.2],
                    stages[stage] if rng.random() < 0.2 else stage,
                    f"SHOP{index:07d}",
                ]
            )


# -- measuring -----------------------------------------------------------------------------


class Failed:
    def __init__(self, error: BaseException):
        self.error = error

    def __str__(self) -> str:
        return f"{type(self.error).__name__}: {str(self.error).splitlines()[0][:120]}"


def timed(fn, *, profile: bool = False, label: str = ""):
    """(seconds, result) of one call; a failure is reported, not raised."""
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    try:
        if profiler:
            profiler.enable()
        result = fn()
    except Exception as error:  # a benchmark reports a failure and goes on
        result = Failed(error)
    finally:
        if profiler:
            profiler.disable()
    seconds = time.perf_counter() - start
    if profiler:
        print(f"\n---- profile: {label} ({seconds:.2f} s)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return seconds, result


def count_baseline() -> float:
    """Median of a plain count(*) over the transactions, after one warm-up."""
    from django.db import connection

    def count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_transaction")
            return cursor.fetchone()[0]

    count()
    samples = []
    for _ in range(9):
        start = time.perf_counter()
        count()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run_size(db: Database, customers: int, *, seed: int, profile: set[str]) -> dict:
    """Fresh database, data, then each operation once; returns seconds per operation."""
    from huitou.customers.cleansing import duplicate_groups
    from huitou.customers.importing import do_customers_import
    from huitou.customers.models import Customer, CustomerTag, Transaction
    from huitou.customers.tagging import do_rfm_recompute, do_rule_tags_apply
    from huitou.customers.tiers import do_tier_recompute

    transactions = customers * TRANSACTIONS_PER_CUSTOMER
    label = f"{customers:,} customers / {transactions:,} transactions"
    print(f"\n== {label}", flush=True)
    rng = random.Random(seed)
    start = time.perf_counter()
    db.fresh()
    migrated = time.perf_counter()
    ids = generate_customers(rng, customers)
    filed = time.perf_counter()
    generate_transactions(rng, ids, transactions)
    bought = time.perf_counter()
    create_tag_rules()
    csv_path = db.var_dir / f"import-{customers}.csv"
    write_import_csv(random.Random(seed + 1), csv_path, customers)
    written_at = time.perf_counter()
    analyze()
    done = time.perf_counter()
    assert Customer.objects.count() == customers
    assert Transaction.objects.count() == transactions
    print(
        f"data (not measured): migrate {migrated - start:.1f} s, customers"
        f" {filed - migrated:.1f} s, transactions {bought - filed:.1f} s, CSV"
        f" {written_at - bought:.1f} s, analyze {done - written_at:.1f} s",
        flush=True,
    )

    results: dict[str, float | Failed] = {"baseline": count_baseline()}

    def run(name, fn, check=None):
        seconds, result = timed(fn, profile=name in profile, label=f"{name} @ {label}")
        if isinstance(result, Failed):
            results[name] = result
            print(f"{name:16s} FAILED after {seconds:.2f} s: {result}", flush=True)
            return None
        results[name] = seconds
        note = check(result) if check else ""
        print(f"{name:16s} {seconds:8.2f} s  {note}", flush=True)
        return result

    tiers = run("tiers", do_tier_recompute, lambda r: f"changed {r['changed']:,}")
    rfm = run("RFM", do_rfm_recompute, lambda r: f"{sum(r.values()):,} customers with RFM")
    rules = run(
        "rule tags",
        do_rule_tags_apply,
        lambda r: ", ".join(f"{k} +{v['added']:,}" for k, v in r.items()),
    )
    if tiers is not None and rfm is not None and rules is not None:
        results["tiers+RFM"] = results["tiers"] + results["RFM"] + results["rule tags"]
    run(
        "tiers+RFM again",
        lambda: (do_tier_recompute(), do_rfm_recompute(), do_rule_tags_apply()),
        lambda r: f"changed {r[0]['changed']:,} (steady state)",
    )
    run("dedupe report", duplicate_groups, lambda r: f"{len(r):,} groups")

    def check_import(report, *, created: int, unchanged: int) -> str:
        assert not report.errors, report.errors[:5]
        assert (report.created, report.unchanged) == (created, unchanged), report.as_dict()
        return f"created {report.created:,}, updated {report.updated:,}, unchanged" + (
            f" {report.unchanged:,}"
        )

    run(
        "import",
        lambda: do_customers_import(actor=None, path=csv_path),
        lambda r: check_import(r, created=customers, unchanged=0),
    )
    run(
        "re-import",
        lambda: do_customers_import(actor=None, path=csv_path),
        lambda r: check_import(r, created=0, unchanged=customers),
    )
    print(
        f"customers now {Customer.objects.count():,}, tag links {CustomerTag.objects.count():,}",
        flush=True,
    )
    return results


ROWS = [
    ("baseline", "baseline: count(*) transactions"),
    ("tiers+RFM", "tiers+RFM"),
    ("tiers", "  tier recompute"),
    ("RFM", "  RFM recompute + tags"),
    ("rule tags", "  rule tags"),
    ("tiers+RFM again", "tiers+RFM, second run"),
    ("dedupe report", "dedupe report"),
    ("import", "import (creates)"),
    ("re-import", "re-import (unchanged)"),
]


def print_table(sizes: list[int], runs: list[dict]) -> None:
    def cell(value, baseline) -> str:
        if isinstance(value, Failed) or value is None:
            return f"{'failed':>9s} {'':>8s}"
        if value < 0.001:
            return f"{value * 1e6:7.0f}µs {value / baseline:7.0f}×"
        if value < 1:
            return f"{value * 1000:7.1f}ms {value / baseline:7.0f}×"
        return f"{value:8.2f}s {value / baseline:7.0f}×"

    def short(n: int) -> str:
        return f"{n / 1_000_000:g}M" if n >= 1_000_000 else f"{n / 1000:g}k"

    head = "".join(
        f"  {short(n) + '/' + short(n * TRANSACTIONS_PER_CUSTOMER):>9s} {'÷base':>8s}"
        for n in sizes
    )
    print(f"\n{'operation':34s}{head}  {'large/small':>11s}")
    for key, title in ROWS:
        values = [run.get(key) for run in runs]
        line = "".join(f"  {cell(v, run['baseline'])}" for v, run in zip(values, runs, strict=True))
        ok = all(isinstance(v, float) for v in values)
        scale = f"{values[-1] / values[0]:10.1f}×" if ok and len(values) > 1 else ""
        print(f"{title:34s}{line}  {scale:>11s}")
    print("÷base: seconds divided by that size's baseline; large/small: seconds at the")
    print(f"largest size over the smallest ({sizes[-1] // sizes[0]}× the data; ~10× is linear).")
    if TARGET_SIZE in sizes:
        run = runs[sizes.index(TARGET_SIZE)]
        print(f"\ntargets at {TARGET_SIZE:,} customers:")
        for key, limit in TARGETS.items():
            value = run.get(key)
            verdict = "MISSED" if not isinstance(value, float) or value >= limit else "met"
            shown = f"{value:.1f} s" if isinstance(value, float) else "failed"
            print(f"  {key:16s} {shown:>10s}  (< {limit:.0f} s)  {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_ARCHIVE_SIZES", "10000,100000"),
        help="customer counts, comma-separated; transactions are 10× (default 10000,100000)",
    )
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="OPERATION",
        help="cProfile an operation (tiers, RFM, rule tags, dedupe report, import, re-import)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="huitou-bench-") as tmp:
        var_dir = Path(tmp)
        if args.sqlite:
            url = f"sqlite:///{var_dir / 'bench-archive.sqlite3'}"
        else:
            url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
        db = Database(url, var_dir)
        # A database left over from an interrupted run of ours goes; anyone else's stays.
        if db.postgres and db.name != OWN_NAME and db.exists():
            raise SystemExit(f"database {db.name} already exists; drop it or choose another")
        setup_django(var_dir, url)
        from django.db import connection

        where = f"PostgreSQL database {db.name}" if db.postgres else "SQLite (temporary file)"
        print(f"customer archive benchmark on {where}, sizes {sizes}, seed {args.seed}")
        runs = []
        try:
            for customers in sizes:
                runs.append(run_size(db, customers, seed=args.seed, profile=set(args.profile)))
            server = (
                f"{connection.display_name} {'.'.join(map(str, connection.get_database_version()))}"
            )
        finally:
            db.drop()
    print_table(sizes, runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nwhole run {time.perf_counter() - started:.0f} s, {server}, peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
