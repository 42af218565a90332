from django.urls import path

from facilitation import tools, views
from facilitation.report import views as report_views

app_name = "facilitation"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("join/<str:code>/", views.join_session, name="join_code"),
    path("s/<str:code>/", views.learner_page, name="learner"),
    path("facilitate/", views.sessions, name="sessions"),
    path("facilitate/<str:code>/", views.dashboard, name="dashboard"),
    path("facilitate/<str:code>/live/", views.dashboard_live, name="dashboard_live"),
    path("facilitate/<str:code>/control/<slug:action>/", views.clock_control, name="control"),
    path("facilitate/<str:code>/projector/", views.projector, name="projector"),
    path("facilitate/<str:code>/qr.svg", views.qr_code, name="qr"),
    path("facilitate/<str:code>/join-address/", views.join_address, name="join_address"),
    path("facilitate/<str:code>/report/", report_views.report, name="report"),
    path("facilitate/<str:code>/report.pdf", report_views.report_pdf, name="report_pdf"),
    path("facilitate/<str:code>/report/<slug:dataset>.csv", report_views.report_csv, name="report_csv"),
    path("facilitate/<str:code>/data/", report_views.learner_data, name="learner_data"),
    path("facilitate/lessons/<slug:slug>/", report_views.lesson_across_sessions, name="lesson_timing"),
    *tools.urlpatterns(),
]
