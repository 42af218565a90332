from django.urls import path

from facilitation.tools.polls import views as poll_views

urlpatterns = [
    path("facilitate/<str:code>/polls/new/", poll_views.poll_create, name="poll_create"),
    path(
        "facilitate/<str:code>/polls/prepared/<int:prepared_id>/use/",
        poll_views.poll_use_prepared,
        name="poll_use_prepared",
    ),
    path(
        "facilitate/<str:code>/polls/<int:poll_id>/<slug:action>/", poll_views.poll_action, name="poll_action"
    ),
    path("facilitate/<str:code>/polls.csv", poll_views.poll_csv, name="poll_csv"),
    path("s/<str:code>/polls/<int:poll_id>/answer/", poll_views.poll_answer, name="poll_answer"),
]
