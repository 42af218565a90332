"""Authoring prepared polls in Django admin; session polls are read-only records of what a room answered."""

from django.contrib import admin

from facilitation.models import Poll, PollAnswer, PreparedPoll


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


class PollAnswerInline(admin.TabularInline):
    model = PollAnswer
    extra = 0
    can_delete = False
    fields = ["participant", "choices", "rating", "text", "updated_at"]
    readonly_fields = fields


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["question", "session", "number", "kind", "status", "revealed"]
    list_filter = ["kind", "status"]
    search_fields = ["question", "session__code"]
    readonly_fields = ["session", "source", "number", "created_at", "opened_at", "closed_at"]
    inlines = [PollAnswerInline]

    def has_add_permission(self, request):
        return False
