"""URLs of the Explain phase (presentation, Wardley map, Q&A), included into the `facilitation` namespace."""

from django.urls import path

from facilitation.tools.slides import views as explain_views

urlpatterns = [
    path("s/<str:code>/explain/questions/", explain_views.ask, name="explain_ask"),
    path("s/<str:code>/explain/questions/<int:question_id>/vote/", explain_views.vote, name="explain_vote"),
    path(
        "facilitate/<str:code>/explain/slides/<slug:action>/",
        explain_views.slide_control,
        name="explain_slide",
    ),
    path("facilitate/<str:code>/explain/highlight/", explain_views.highlight, name="explain_highlight"),
    path(
        "facilitate/<str:code>/explain/questions/<int:question_id>/<slug:action>/",
        explain_views.moderate,
        name="explain_question",
    ),
]
