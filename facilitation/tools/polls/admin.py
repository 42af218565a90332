"""Authoring prepared polls in Django admin (loaded by facilitation/admin.py through the registry). Session
polls and their answers are live data: the dashboard runs them and the CSV export reports them, so they are
not edited here."""

from django.contrib import admin

from facilitation.models import PreparedPoll


@admin.register(PreparedPoll)
class PreparedPollAdmin(admin.ModelAdmin):
    list_display = ["question", "kind", "lesson", "phase", "order"]
    list_filter = ["kind", "lesson"]
    list_editable = ["order"]
    search_fields = ["question"]
    fieldsets = [
        (None, {"fields": ["lesson", "phase", "order", "kind", "question", "show_results_live"]}),
        ("Choice and quiz polls", {"fields": ["options_text", "correct_option"]}),
        ("Rating scale", {"fields": ["scale_min", "scale_max", "scale_min_label", "scale_max_label"]}),
    ]
