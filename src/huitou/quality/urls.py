"""QA inspection (质检) pages, under /quality/."""

from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("inspections/new/", views.inspection_new_view, name="inspection_new"),
    path("inspections/<int:inspection_id>/", views.inspection_view, name="inspection"),
    path("inspections/<int:inspection_id>/appeal/", views.appeal_view, name="appeal"),
    path("mine/", views.results_view, name="results"),
    path("appeals/", views.appeals_view, name="appeals"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide_view, name="appeal_decide"),
    path("calibrations/", views.calibrations_view, name="calibrations"),
    path("calibrations/<int:session_id>/", views.calibration_view, name="calibration"),
    path("mystery/", views.mystery_view, name="mystery"),
    path("mystery/<int:task_id>/link/", views.mystery_link_view, name="mystery_link"),
    path("figures/", views.figures_view, name="figures"),
]
