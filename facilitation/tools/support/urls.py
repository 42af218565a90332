"""URLs of the coaching queue, the self-assessment and the reflections, in the `facilitation` namespace."""

from django.urls import path

from facilitation.tools.support import views as support_views

urlpatterns = [
    path("s/<str:code>/support/help/", support_views.ask, name="support_ask"),
    path("s/<str:code>/support/help/cancel/", support_views.cancel, name="support_cancel"),
    path("s/<str:code>/support/confidence/<slug:moment>/", support_views.rate, name="support_rate"),
    path("s/<str:code>/support/reflection/", support_views.reflect, name="support_reflect"),
    path("facilitate/<str:code>/support/", support_views.panel, name="support_panel"),
    path(
        "facilitate/<str:code>/support/help/<int:request_id>/<slug:action>/",
        support_views.handle,
        name="support_handle",
    ),
    path(
        "facilitate/<str:code>/reflection/",
        support_views.facilitator_reflection,
        name="support_reflection",
    ),
]
