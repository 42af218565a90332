"""URLs of the Evaluate phase (action plans and peer review), included into the `facilitation` namespace."""

from django.urls import path

from facilitation.tools.action_plan import views as evaluate_views

urlpatterns = [
    path("s/<str:code>/plan/", evaluate_views.plan_page, name="plan_page"),
    path("s/<str:code>/plan/save/", evaluate_views.plan_save, name="plan_save"),
    path("s/<str:code>/plan/submit/", evaluate_views.plan_submit, name="plan_submit"),
    path("s/<str:code>/plan/reopen/", evaluate_views.plan_reopen, name="plan_reopen"),
    path("s/<str:code>/plan.pdf", evaluate_views.plan_pdf, name="plan_pdf"),
    path("s/<str:code>/reviews/<int:review_id>/", evaluate_views.review_page, name="review_page"),
    path("facilitate/<str:code>/plans/all.pdf", evaluate_views.plan_all_pdf, name="plan_all_pdf"),
    path("facilitate/<str:code>/plans/<int:plan_id>/", evaluate_views.plan_assess, name="plan_assess"),
    path("facilitate/<str:code>/reviews/allocate/", evaluate_views.review_allocate, name="review_allocate"),
    path("facilitate/<str:code>/reviews/release/", evaluate_views.review_release, name="review_release"),
    path(
        "facilitate/<str:code>/reviews/<int:review_id>/nudge/",
        evaluate_views.review_nudge,
        name="review_nudge",
    ),
    path(
        "facilitate/<str:code>/reviews/<int:review_id>/reassign/",
        evaluate_views.review_reassign,
        name="review_reassign",
    ),
]
