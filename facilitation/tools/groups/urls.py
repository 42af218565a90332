"""URLs of breakout groups, included into the `facilitation` namespace."""

from django.urls import path

from facilitation.tools.groups import views as group_views

urlpatterns = [
    path("s/<str:code>/group/choose/<int:group_id>/", group_views.choose, name="group_choose"),
    path("s/<str:code>/group/fields/<slug:key>/", group_views.save_field, name="group_field"),
    path("s/<str:code>/group/annotations/", group_views.annotate, name="group_annotate"),
    path(
        "s/<str:code>/group/annotations/<int:annotation_id>/remove/",
        group_views.remove_annotation,
        name="group_annotation_remove",
    ),
    path("s/<str:code>/group/notes/", group_views.post_note, name="group_note"),
    path("facilitate/<str:code>/groups/create/", group_views.create, name="group_create"),
    path("facilitate/<str:code>/groups/control/<slug:action>/", group_views.control, name="group_control"),
    path("facilitate/<str:code>/groups/<int:group_id>/", group_views.look_in, name="group_look_in"),
    path(
        "facilitate/<str:code>/groups/<int:group_id>/<slug:action>/",
        group_views.group_action,
        name="group_action",
    ),
]
