"""QA inspection pages."""

from django.http import HttpResponse


def queue_view(request):
    return HttpResponse(status=404)
