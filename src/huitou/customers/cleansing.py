"""Data cleansing [SPEC §1, 002]: duplicate, incomplete and invalid records; merging.

Duplicates are found by blocking, never by comparing all pairs: exact keys (phone digits,
e-mail, ID number) group records directly; similar names are compared with rapidfuzz only
inside blocks that share the first character of the name and the city.
"""

import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from huitou.core.audit import do_audit_changes, do_audit_record
from huitou.core.errors import DomainError

from .models import Customer, CustomerMerge, CustomerTag, Stage, Transaction
from .phones import is_valid_phone, phone_digits
from .selectors import check_archive_cleansing

NAME_SIMILARITY = 90  # rapidfuzz ratio, 0–100
# Company-name noise that says nothing about identity.
NAME_NOISE = re.compile(r"(有限责任公司|股份有限公司|有限公司|公司|集团|\s|[()（）·.,，])")
# Fields a merge copies from the duplicate when the survivor has none.
FILLABLE = ["phone", "email", "id_number", "city", "address", "hobbies", "needs", "external_id"]


class DuplicateReason(models.TextChoices):
    """Why records look like one customer: codes for the API, labels for people."""

    PHONE = "phone", gettext_lazy("电话相同")
    EMAIL = "email", gettext_lazy("电子邮件相同")
    ID_NUMBER = "id_number", gettext_lazy("证件号码相同")
    SIMILAR_NAME = "similar_name", gettext_lazy("名称相似")


def field_labels(model, names: list[str]) -> list[str]:
    """The model fields' verbose names, as a person reads them."""
    return [str(model._meta.get_field(name).verbose_name) for name in names]


class _UnionFind:
    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def normalised_name(name: str) -> str:
    return NAME_NOISE.sub("", name or "").lower()


def duplicate_groups() -> list[dict]:
    """Groups of customer records that look like one customer, with the reasons why."""
    rows = list(
        Customer.objects.filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", "number", "name", "phone_digits", "email", "id_number", "city")
    )
    number = {pk: num for pk, num, *_rest in rows}
    links = _UnionFind()
    reasons: dict[int, set[str]] = defaultdict(set)

    def link_all(members: list[int], reason: str) -> None:
        for other in members[1:]:
            links.union(members[0], other)
        for pk in members:
            reasons[pk].add(reason)

    for reason, index in (
        (DuplicateReason.PHONE, 3),
        (DuplicateReason.EMAIL, 4),
        (DuplicateReason.ID_NUMBER, 5),
    ):
        by_key: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            key = (row[index] or "").strip().lower()
            if key:
                by_key[key].append(row[0])
        for members in by_key.values():
            if len(members) > 1:
                link_all(members, reason)

    blocks: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for pk, _num, name, *_rest, city in rows:
        clean = normalised_name(name)
        if clean:
            blocks[(clean[0], city or "")].append((pk, clean))
    for members in blocks.values():
        if len(members) < 2:
            continue
        names = [clean for _pk, clean in members]
        for i, name in enumerate(names[:-1]):
            later = names[i + 1 :]
            for _match, _score, j in process.extract(
                name, later, scorer=fuzz.ratio, score_cutoff=NAME_SIMILARITY, limit=None
            ):
                link_all([members[i][0], members[i + 1 + j][0]], DuplicateReason.SIMILAR_NAME)

    groups: dict[int, list[int]] = defaultdict(list)
    for pk in reasons:
        groups[links.find(pk)].append(pk)
    result = []
    for members in groups.values():
        if len(members) < 2:
            continue
        codes = sorted(set().union(*(reasons[pk] for pk in members)))
        result.append(
            {
                "numbers": [number[pk] for pk in sorted(members)],
                "reasons": [str(code) for code in codes],
                "reason_labels": [str(DuplicateReason(code).label) for code in codes],
            }
        )
    return sorted(result, key=lambda group: group["numbers"])


def data_quality_report() -> dict[str, list[dict]]:
    """Records with invalid phone numbers or e-mail addresses, and incomplete records.

    `missing` holds field codes for programs, `missing_labels` their names for people.
    """
    invalid_phone, invalid_email, incomplete = [], [], []

    def add_incomplete(pk: int, number: str, missing: list[str]) -> None:
        incomplete.append(
            {
                "id": pk,
                "number": number,
                "missing": missing,
                "missing_labels": field_labels(Customer, missing),
            }
        )

    for pk, number, name, phone, email, stage in (
        Customer.objects.filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", "number", "name", "phone", "email", "stage")
        .iterator(chunk_size=5000)
    ):
        if phone and not is_valid_phone(phone):
            invalid_phone.append({"id": pk, "number": number, "value": phone})
        if email:
            try:
                validate_email(email)
            except ValidationError:
                invalid_email.append({"id": pk, "number": number, "value": email})
        missing = [field for field, value in (("phone", phone), ("email", email)) if not value]
        # Someone we serve must be reachable: no phone and no e-mail is incomplete.
        if len(missing) == 2 or not name:
            add_incomplete(pk, number, missing if name else ["name"])
        elif stage == Stage.CURRENT and not phone:
            add_incomplete(pk, number, ["phone"])
    return {
        "invalid_phone": invalid_phone,
        "invalid_email": invalid_email,
        "incomplete": incomplete,
    }


def merge_preview(*, survivor: Customer, duplicate: Customer) -> dict:
    """What `do_customer_merge` would move and fill, without changing anything."""
    check_merge(survivor=survivor, duplicate=duplicate)
    fills = {
        field: getattr(duplicate, field)
        for field in FILLABLE
        if not getattr(survivor, field) and getattr(duplicate, field)
    }
    return {
        "survivor": survivor.number,
        "duplicate": duplicate.number,
        "tickets": duplicate.tickets.count(),
        "transactions": Transaction.objects.filter(customer=duplicate).count(),
        "tags": CustomerTag.objects.filter(customer=duplicate).count(),
        "win_backs": duplicate.win_backs.count(),
        "filled_fields": fills,
        # The same fills for people: the field's name beside its code.
        "filled": [
            {"field": field, "label": label, "value": fills[field]}
            for field, label in zip(fills, field_labels(Customer, list(fills)), strict=True)
        ],
    }


def check_merge(*, survivor: Customer, duplicate: Customer) -> None:
    if survivor.pk == duplicate.pk:
        raise DomainError(_("不能把客户合并到自己。"), field="duplicate")
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise DomainError(_("该客户已被合并过。"), field="duplicate")


@transaction.atomic
def do_customer_merge(*, actor, survivor: Customer, duplicate: Customer) -> CustomerMerge:
    """Move everything of `duplicate` to `survivor`, fill survivor's gaps, hide the duplicate.

    The duplicate row stays (its number is never reused; its history stays readable) with
    merged_into set, so every link to it can still be followed.
    """
    check_archive_cleansing(actor)
    survivor = Customer.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Customer.objects.select_for_update().get(pk=duplicate.pk)
    summary = merge_preview(survivor=survivor, duplicate=duplicate)

    duplicate.tickets.update(customer=survivor)
    Transaction.objects.filter(customer=duplicate).update(customer=survivor)
    duplicate.win_backs.update(customer=survivor)
    for link in CustomerTag.objects.filter(customer=duplicate).select_related("tag"):
        kept = CustomerTag.objects.filter(customer=survivor, tag=link.tag).first()
        if kept is None:
            CustomerTag.objects.filter(pk=link.pk).update(customer=survivor)
        else:
            if link.weight > kept.weight:
                CustomerTag.objects.filter(pk=kept.pk).update(weight=link.weight)
            link.delete()

    fills = summary["filled_fields"]
    if fills.get("external_id"):
        # Unique: release it on the duplicate before the survivor takes it.
        Customer.objects.filter(pk=duplicate.pk).update(external_id=None)
    for field, value in fills.items():
        setattr(survivor, field, value)
    if fills:
        survivor.phone_digits = phone_digits(survivor.phone)
        survivor.save()
        do_audit_changes(
            obj=survivor,
            actor=actor,
            changes=[(field, "", value) for field, value in fills.items()],
        )
    Customer.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    do_audit_record(obj=survivor, actor=actor, action="merged", new=duplicate.number)
    do_audit_record(obj=duplicate, actor=actor, action="merged_into", new=survivor.number)
    return CustomerMerge.objects.create(
        survivor=survivor, duplicate=duplicate, summary=summary, actor=actor
    )
