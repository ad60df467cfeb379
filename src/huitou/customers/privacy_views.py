"""Pages for personal information: reveal a masked value, a customer's request to copy or
delete their data, and the record of who saw what (see privacy.py and retention.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huitou.core.errors import DomainError
from huitou.core.pagination import paginate_queryset, querystring_without_page

from .forms import AccessRecordFilterForm, ErasureForm
from .models import PersonalDataAccess
from .privacy import access_records, check_privacy_requests, do_personal_data_reveal
from .retention import do_customer_erase_on_request, personal_data_export
from .selectors import access_customer


@login_required
@require_POST
def reveal_view(request, customer_id: int):
    """htmx: one masked field in full, in place of its mask; the reveal is recorded."""
    customer = access_customer(user=request.user, customer_id=customer_id)
    field = request.POST.get("field", "")
    try:
        values = do_personal_data_reveal(
            actor=request.user, customer=customer, fields=[field], channel="customer_page"
        )
    except DomainError as error:
        return HttpResponse(error.message, status=400)
    return render(
        request,
        "customers/_personal_value.html",
        {"customer": customer, "kind": field, "value": values[field], "masked": False},
    )


@login_required
@require_GET
def personal_data_export_view(request, customer_id: int):
    """查阅/复制: the customer's data as a JSON file, for a request by the customer."""
    check_privacy_requests(request.user)
    customer = access_customer(user=request.user, customer_id=customer_id)
    data = personal_data_export(actor=request.user, customer=customer, channel="customer_page")
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="personal-data-{customer.number}.json"'
    return response


@login_required
def erase_view(request, customer_id: int):
    """删除 on the customer's request: GET asks to confirm with the customer number."""
    check_privacy_requests(request.user)
    customer = access_customer(user=request.user, customer_id=customer_id)
    form = ErasureForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            do_customer_erase_on_request(
                actor=request.user,
                customer=customer,
                reason=form.cleaned_data["reason"],
                channel="customer_page",
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已按客户请求删除其个人信息（匿名化）。"))
        return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/erase_confirm.html", {"form": form, "customer": customer})


@login_required
@require_GET
def access_record_view(request):
    """Who viewed, revealed, exported, deleted or anonymised personal data."""
    check_privacy_requests(request.user)
    form = AccessRecordFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate_queryset(request, access_records(user=request.user, **filters))
    context = {
        "form": form,
        "page": page,
        "querystring": querystring_without_page(request),
        "actions": PersonalDataAccess.Action,
    }
    return render(request, "customers/access_record.html", context)
