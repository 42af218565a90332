"""URLs of the brainstorm wall, included into the `facilitation` namespace."""

from django.urls import path

from facilitation.tools.wall import views as wall_views

urlpatterns = [
    path("s/<str:code>/wall/notes/", wall_views.post_note, name="wall_post_note"),
    path("s/<str:code>/wall/notes/<int:note_id>/vote/", wall_views.vote, name="wall_vote"),
    path("facilitate/<str:code>/wall/authors/", wall_views.show_authors, name="wall_authors"),
    path("facilitate/<str:code>/wall/control/<slug:action>/", wall_views.control, name="wall_control"),
    path("facilitate/<str:code>/wall/clusters/", wall_views.create_cluster, name="wall_create_cluster"),
    path(
        "facilitate/<str:code>/wall/clusters/<int:cluster_id>/<slug:action>/",
        wall_views.cluster_action,
        name="wall_cluster",
    ),
    path(
        "facilitate/<str:code>/wall/notes/<int:note_id>/<slug:action>/",
        wall_views.note_action,
        name="wall_note",
    ),
]
