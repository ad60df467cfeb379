from django.urls import path

from . import privacy_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("export.<str:fmt>", views.customer_export_view, name="export"),
    path("tiers/", views.tier_overview_view, name="tiers"),
    path("imports/", views.import_jobs_view, name="imports"),
    path("cleansing/", views.cleansing_view, name="cleansing"),
    path("<int:customer_id>/merge/<int:duplicate_id>/", views.merge_view, name="merge"),
    path("imports/<int:job_id>/", views.import_job_view, name="import_job"),
    path("<int:customer_id>/", views.customer_detail_view, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit_view, name="edit"),
    path("<int:customer_id>/win-backs/", views.win_back_view, name="win_back"),
    path("<int:customer_id>/reveal/", privacy_views.reveal_view, name="reveal"),
    path(
        "<int:customer_id>/personal-data.json",
        privacy_views.personal_data_export_view,
        name="personal_data_export",
    ),
    path("<int:customer_id>/erase/", privacy_views.erase_view, name="erase"),
    path("privacy/", privacy_views.access_record_view, name="access_record"),
]
