from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.core.models import AuditEntry
from huitou.core.pagination import paginate_queryset, querystring_without_page
from huitou.tickets.selectors import ticket_list

from .cleansing import data_quality_report, do_customer_merge, duplicate_groups, merge_preview
from .exporting import CUSTOMER_EXPORT_COLUMNS, customer_rows, to_csv, to_xlsx
from .forms import CustomerFilterForm, CustomerForm, ImportForm, WinBackForm
from .import_jobs import do_import_job_create
from .models import Customer, CustomerRFM, ImportJob, Tag, TierPolicy, TierRule
from .page_sections import sections_for
from .personality import service_guidance
from .privacy import do_bulk_export_record, do_view_record
from .qualification import qualification_strategy
from .selectors import (
    access_customer,
    check_archive_cleansing,
    check_whole_archive,
    customer_list,
)
from .services import do_customer_update, do_win_back_record
from .tiers import tier_distribution


@login_required
@require_GET
def customer_list_view(request):
    form = CustomerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate_queryset(request, customer_list(user=request.user, **filters))
    context = {
        "form": form,
        "page": page,
        "querystring": querystring_without_page(request),
        "tag_names": Tag.objects.values_list("name", flat=True),
    }
    if request.headers.get("HX-Request"):
        return render(request, "customers/_customer_table.html", context)
    return render(request, "customers/customer_list.html", context)


EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


@login_required
@require_GET
def customer_export_view(request, fmt: str):
    """The customer list, with the same filters, as a file (supervisors and admins)."""
    if fmt not in EXPORT_TYPES:
        raise Http404
    check_archive_cleansing(request.user)
    form = CustomerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    content_type, render = EXPORT_TYPES[fmt]
    customers = customer_list(user=request.user, **filters)
    do_bulk_export_record(
        actor=request.user, customers=customers, channel="customer_list", fmt=fmt, filters=filters
    )
    rows = customer_rows(customers)
    response = HttpResponse(render(CUSTOMER_EXPORT_COLUMNS, rows), content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.{fmt}"'
    return response


@login_required
def import_jobs_view(request):
    """Upload a file to import; recent jobs with their state."""
    check_archive_cleansing(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = do_import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                uploaded=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                skip_bad=form.cleaned_data["skip_bad"],
                mapping=form.cleaned_data["mapping"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("customers:import_job", job_id=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "customers/imports.html", {"form": form, "jobs": jobs})


@login_required
@require_GET
def cleansing_view(request):
    """Duplicate groups to review and merge, and the invalid or incomplete records."""
    check_archive_cleansing(request.user)
    groups = duplicate_groups()
    numbers = {number for group in groups for number in group["numbers"]}
    by_number = {c.number: c for c in Customer.objects.filter(number__in=numbers)}
    for group in groups:
        group["customers"] = [by_number[n] for n in group["numbers"] if n in by_number]
    return render(
        request, "customers/cleansing.html", {"groups": groups, "quality": data_quality_report()}
    )


@login_required
def merge_view(request, customer_id: int, duplicate_id: int):
    """GET previews what a merge would move; POST merges."""
    check_archive_cleansing(request.user)
    survivor = access_customer(user=request.user, customer_id=customer_id)
    duplicate = access_customer(user=request.user, customer_id=duplicate_id)
    try:
        if request.method == "POST":
            do_customer_merge(actor=request.user, survivor=survivor, duplicate=duplicate)
            messages.success(
                request,
                _("已把 %(dup)s 合并到 %(survivor)s。")
                % {"dup": duplicate.number, "survivor": survivor.number},
            )
            return redirect("customers:detail", customer_id=survivor.pk)
        preview = merge_preview(survivor=survivor, duplicate=duplicate)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("customers:cleansing")
    context = {"survivor": survivor, "duplicate": duplicate, "preview": preview}
    return render(request, "customers/merge_preview.html", context)


@login_required
@require_GET
def import_job_view(request, job_id: int):
    """The job's progress; htmx polls the partial until the job has finished."""
    check_archive_cleansing(request.user)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    template = (
        "customers/_import_job.html"
        if request.headers.get("HX-Request")
        else "customers/import_job.html"
    )
    return render(request, template, {"job": job})


@login_required
@require_GET
def tier_overview_view(request):
    """Tier distribution at each month end over the last year, and each tier's settings."""
    check_whole_archive(request.user)
    today = timezone.localdate()
    months = []
    for back in range(11, -1, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        months.append(date(year, month + 1, 1))
    points = []
    for first_day in months:
        next_month = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
        moment = min(timezone.make_aware(datetime.combine(next_month, time.min)), timezone.now())
        points.append({"month": first_day.strftime("%Y-%m"), **tier_distribution(moment=moment)})
    context = {
        "chart": {
            "months": [p["month"] for p in points],
            **{t: [p[t] for p in points] for t in "ABCD"},
        },
        "policies": TierPolicy.objects.all(),
        "rule": TierRule.current(),
        "current": tier_distribution(moment=timezone.now()),
    }
    return render(request, "customers/tier_overview.html", context)


@login_required
@require_GET
def customer_detail_view(request, customer_id: int):
    customer = access_customer(user=request.user, customer_id=customer_id)
    do_view_record(actor=request.user, customer=customer, channel="customer_page")
    tickets = paginate_queryset(request, ticket_list(user=request.user, customer_id=customer.pk))
    context = {
        "customer": customer,
        "page": tickets,
        "history": AuditEntry.objects.for_object(customer).select_related("actor", "content_type"),
        "guidance": service_guidance(
            personality=customer.personality, listening_style=customer.listening_style
        ),
        "transactions": customer.transactions.all()[:50],
        "qualification": qualification_strategy(
            has_need=customer.has_need,
            can_pay=customer.can_pay,
            has_authority=customer.has_authority,
        ),
        "tier_history": customer.tier_changes.order_by("-effective_at", "-id")[:20],
        "tags": customer.tag_links.select_related("tag").order_by("source", "-weight"),
        "win_backs": customer.win_backs.select_related("author")[:20],
        "tier_policy": TierPolicy.objects.filter(tier=customer.tier).first(),
        "win_back_form": WinBackForm(),
        "rfm": CustomerRFM.objects.filter(customer=customer).first(),
        "can_edit": request.user.has_perm("customers.change_customer"),
        "sections": sections_for(request, customer),
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
@require_POST
def win_back_view(request, customer_id: int):
    customer = access_customer(user=request.user, customer_id=customer_id)
    form = WinBackForm(request.POST)
    if form.is_valid():
        do_win_back_record(actor=request.user, customer=customer, **form.cleaned_data)
        messages.success(request, _("已记录挽回跟进。"))
    else:
        messages.error(request, _("请选择跟进结果。"))
    return redirect("customers:detail", customer_id=customer.pk)


@login_required
def customer_edit_view(request, customer_id: int):
    customer = access_customer(user=request.user, customer_id=customer_id)
    if not request.user.has_perm("customers.change_customer"):
        raise PermissionDenied
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        try:
            do_customer_update(
                actor=request.user,
                customer=access_customer(user=request.user, customer_id=customer_id),
                changes={name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("客户资料已保存。"))
            return redirect("customers:detail", customer_id=customer_id)
    return render(request, "customers/customer_edit.html", {"form": form, "customer": customer})
