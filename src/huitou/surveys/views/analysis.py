"""Staff and customer pages: analysis."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home_view(request):
    # Placeholder until the analysis page lands (the analysis helper replaces this module).
    return redirect("surveys:follow_ups")
