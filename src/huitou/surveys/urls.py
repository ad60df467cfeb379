from django.urls import path

from .views import analysis, distribution, evaluation, questionnaires, rating

app_name = "surveys"

# Staff pages, under /surveys/.
urlpatterns = [
    path("", analysis.home_view, name="home"),
    path("themes/", analysis.themes_view, name="themes"),
    path("export.<str:fmt>", analysis.export_view, name="export"),
    path("mine/", analysis.mine_view, name="mine"),
    path("follow-ups/", rating.follow_ups_view, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/", rating.follow_up_view, name="follow_up"),
    path("follow-ups/<int:follow_up_id>/done/", rating.follow_up_done_view, name="follow_up_done"),
    path("questionnaires/", questionnaires.questionnaires_view, name="questionnaires"),
    path("questionnaires/new/", questionnaires.questionnaire_new_view, name="questionnaire_new"),
    path(
        "questionnaires/<int:questionnaire_id>/",
        questionnaires.questionnaire_view,
        name="questionnaire",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/preview/",
        questionnaires.questionnaire_preview_view,
        name="questionnaire_preview",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/versions/",
        questionnaires.questionnaire_versions_view,
        name="questionnaire_versions",
    ),
    path(
        "questionnaires/<int:questionnaire_id>/archive/",
        questionnaires.questionnaire_archive_view,
        name="questionnaire_archive",
    ),
    path("distributions/", distribution.distributions_view, name="distributions"),
    path("distributions/new/", distribution.distribution_new_view, name="distribution_new"),
    path(
        "distributions/<int:distribution_id>/",
        distribution.distribution_view,
        name="distribution",
    ),
    path(
        "distributions/<int:distribution_id>/edit/",
        distribution.distribution_edit_view,
        name="distribution_edit",
    ),
    path(
        "distributions/<int:distribution_id>/open/",
        distribution.distribution_open_view,
        name="distribution_open",
    ),
    path(
        "distributions/<int:distribution_id>/close/",
        distribution.distribution_close_view,
        name="distribution_close",
    ),
    path(
        "distributions/<int:distribution_id>/print/",
        distribution.distribution_print_view,
        name="distribution_print",
    ),
    path(
        "distributions/<int:distribution_id>/qr.svg",
        distribution.distribution_qr_view,
        name="distribution_qr",
    ),
    path("phone/", distribution.phone_surveys_view, name="phone_surveys"),
    path("phone/<int:distribution_id>/", distribution.phone_invitees_view, name="phone_invitees"),
    path(
        "phone/<int:distribution_id>/<int:invitation_id>/",
        distribution.phone_entry_view,
        name="phone_entry",
    ),
    path("evaluations/", evaluation.evaluations_view, name="evaluations"),
    path("evaluations/new/", evaluation.evaluation_new_view, name="evaluation_new"),
    path("evaluations/<int:round_id>/", evaluation.evaluation_view, name="evaluation"),
    path(
        "evaluations/<int:round_id>/save/", evaluation.evaluation_save_view, name="evaluation_save"
    ),
    path(
        "evaluations/<int:round_id>/advance/",
        evaluation.evaluation_advance_view,
        name="evaluation_advance",
    ),
    path(
        "evaluations/<int:round_id>/analyse/",
        evaluation.evaluation_analyse_view,
        name="evaluation_analyse",
    ),
    path(
        "evaluations/<int:round_id>/issue/",
        evaluation.evaluation_issue_view,
        name="evaluation_issue",
    ),
    path(
        "evaluations/<int:round_id>/report/",
        evaluation.evaluation_report_view,
        name="evaluation_report",
    ),
]

# The customer's pages, under /s/ (namespace survey_public): no login, the link's token is
# the key.
public_urlpatterns = [
    path("r/<str:token>/", rating.rate_view, name="rate"),
    path("q/<str:token>/", questionnaires.answer_view, name="answer"),
    path("o/<str:token>/", questionnaires.open_answer_view, name="open"),
]
