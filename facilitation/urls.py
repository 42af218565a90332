from django.urls import path

from facilitation import views

app_name = "facilitation"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("join/<str:code>/", views.join, name="join_code"),
    path("s/<str:code>/", views.learner_page, name="learner"),
    path("facilitate/", views.sessions, name="sessions"),
    path("facilitate/<str:code>/", views.dashboard, name="dashboard"),
    path("facilitate/<str:code>/projector/", views.projector, name="projector"),
]
