"""URLs of the obstacle assessment worksheet, included into the `facilitation` namespace."""

from django.urls import path

from facilitation.tools.worksheets import views as worksheet_views

urlpatterns = [
    path("s/<str:code>/worksheet/", worksheet_views.page, name="worksheet_page"),
    path("s/<str:code>/worksheet/items/<int:item_id>/", worksheet_views.item, name="worksheet_item"),
    path("s/<str:code>/worksheet/items/<int:item_id>/save/", worksheet_views.save, name="worksheet_save"),
    path("facilitate/<str:code>/worksheet/", worksheet_views.panel, name="worksheet_panel"),
    path(
        "facilitate/<str:code>/worksheet/projector/<slug:action>/",
        worksheet_views.projector_toggle,
        name="worksheet_projector_toggle",
    ),
]
