"""Authoring the slides in Django admin: free slides, the deck, resources for deeper dives, the Wardley map
(loaded by facilitation/admin.py through the registry)."""

from django.contrib import admin

from facilitation.models import (
    CategoryResource,
    DeckItem,
    FreeSlide,
    SlideDeck,
    WardleyComponent,
    WardleyDependency,
    WardleyMap,
)


@admin.register(FreeSlide)
class FreeSlideAdmin(admin.ModelAdmin):
    list_display = ["title", "lesson"]
    list_filter = ["lesson"]
    search_fields = ["title", "body"]
    fields = ["lesson", "title", "body", "image", "image_alt"]


class DeckItemInline(admin.TabularInline):
    model = DeckItem
    extra = 1
    fields = ["order", "kind", "category", "free_slide", "prepared_poll"]
    autocomplete_fields = ["free_slide"]


@admin.register(SlideDeck)
class SlideDeckAdmin(admin.ModelAdmin):
    """The Explain phase's slides in order: category slides, free slides, the Wardley map and prepared polls
    (a poll opens when the presentation reaches it). A lesson without a deck shows every obstacle category,
    then the map."""

    list_display = ["lesson"]
    inlines = [DeckItemInline]


@admin.register(CategoryResource)
class CategoryResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "audience_key", "order"]
    list_filter = ["category__lesson", "audience_key"]
    list_editable = ["order"]
    search_fields = ["title", "url"]


class WardleyComponentInline(admin.TabularInline):
    model = WardleyComponent
    extra = 1
    fields = ["order", "name", "visibility", "evolution", "evolves_to", "note"]


class WardleyDependencyInline(admin.TabularInline):
    model = WardleyDependency
    extra = 1
    fields = ["source", "target"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Only this map's components (none yet on a new map: save it with its components first)."""
        if db_field.name in {"source", "target"}:
            map_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = WardleyComponent.objects.filter(map_id=map_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(WardleyMap)
class WardleyMapAdmin(admin.ModelAdmin):
    """Components sit at (evolution, visibility), both 0–1; a dependency reads "source needs target"."""

    list_display = ["title", "lesson"]
    inlines = [WardleyComponentInline, WardleyDependencyInline]
