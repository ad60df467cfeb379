from django.urls import path

from .views import analysis, rating

app_name = "surveys"

# Staff pages, under /surveys/.
urlpatterns = [
    path("", analysis.home_view, name="home"),
    path("follow-ups/", rating.follow_ups_view, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/", rating.follow_up_view, name="follow_up"),
    path("follow-ups/<int:follow_up_id>/done/", rating.follow_up_done_view, name="follow_up_done"),
]

# The customer's pages, under /s/ (namespace survey_public): no login, the link's token is
# the key.
public_urlpatterns = [
    path("r/<str:token>/", rating.rate_view, name="rate"),
]
