from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huitou.core.errors import DomainError
from huitou.core.forms import add_domain_error
from huitou.core.ratelimit import RateLimited, check_rate_limit, client_key, rate_limited
from huitou.portal.selectors import session_scope
from huitou.portal.services import do_guest_link_send, do_signed_in_ticket_create, guest_path

from .portal import (
    do_faq_vote,
    do_portal_ticket_create,
    has_voted,
    portal_categories,
    portal_entries,
    portal_search,
    portal_voter,
)
from .verify_views import done_context


class HelpTicketForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("您的称呼"), max_length=100)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=32, required=False)
    email = forms.EmailField(label=gettext_lazy("电子邮箱"), max_length=254, required=False)
    question = forms.CharField(label=gettext_lazy("您的问题"), max_length=200)
    details = forms.CharField(
        label=gettext_lazy("详细情况"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


def help_home_view(request):
    query = request.GET.get("q", "")[:200]
    try:
        results = portal_search(query) if query else []
    except DomainError:
        results = []
    return render(
        request,
        "knowledge/help_home.html",
        {"categories": portal_categories(), "query": query, "results": results},
    )


def help_entry_view(request, entry_id: int):
    entry = next((e for e in portal_entries() if e.pk == entry_id), None)
    if entry is None:
        raise Http404
    voted = has_voted(entry_id=entry_id, voter=portal_voter(client_key(request)))
    return render(request, "knowledge/help_entry.html", {"entry": entry, "voted": voted})


@require_POST
@rate_limited("portal_vote")
def help_vote_view(request, entry_id: int):
    entry = next((e for e in portal_entries() if e.pk == entry_id), None)
    if entry is not None:  # one vote per visitor (client address), however many sessions
        voter = portal_voter(client_key(request))
        do_faq_vote(entry=entry, helpful=request.POST.get("helpful") == "1", voter=voter)
    return redirect("help:entry", entry_id=entry_id)


def help_ticket_view(request):
    form = HelpTicketForm(request.POST or None, initial={"question": request.GET.get("q", "")})
    if request.method == "POST" and form.is_valid():
        try:
            check_rate_limit(request, "portal_ticket")
        except RateLimited as limited:  # before anything is saved
            return limited.response(request)
        try:
            # Signed in to the portal: the customer is known, so no new visitor record.
            scope = session_scope(request.session)
            if scope is not None:
                ticket = do_signed_in_ticket_create(scope=scope, **form.cleaned_data)
            else:
                ticket = do_portal_ticket_create(**form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:  # the guest's private link to this ticket alone (huitou.portal)
            link = request.build_absolute_uri(guest_path(ticket))
            context = {**done_context(ticket), "guest_url": link}
            do_guest_link_send(ticket=ticket, url=link)
            return render(request, "knowledge/help_ticket_done.html", context)
    return render(
        request, "knowledge/help_ticket.html", {"form": form}, status=422 if form.errors else 200
    )
