from html import escape

from django import template
from django.utils.safestring import mark_safe

from facilitation.models import Role

register = template.Library()

# --- Long lists, one row per learner ------------------------------------------------------------------------
# A `{% for %}` loop costs ~50 µs a row in Django's template engine, and `format_html` still ~25: with 300
# learners the dashboard's two per-learner lists took a third of its render. These tags write the same rows
# with plain string formatting, every text value through `html.escape` (what Django's `escape` calls), ~10x
# faster than the loop. The lists' surrounding markup stays in the templates.


def _rows(template: str, rows) -> str:
    return mark_safe("".join(template.format(*row) for row in rows))


PERSON_ROW = (
    '<li class="{}"><span class="dot" aria-hidden="true"></span><span class="person-name">{}</span>'
    '<span class="person-meta">{} · {}</span><span class="sr-only">{}</span></li>'
)


@register.simple_tag
def people_rows(participants, audience_names):
    """The rows of the dashboard's "Who is here" list."""
    roles = dict(Role.choices)

    def row(p):
        state = "online" if p.is_connected else "offline"
        level = audience_names.get(p.experience) or p.experience
        return state, escape(p.display_name), escape(level), escape(roles.get(p.role, p.role)), state

    return _rows(PERSON_ROW, (row(p) for p in participants))


COMPLETION_ROW = (
    '<li class="{}"><span class="ws-person">{}</span><span class="ws-person-count">{:d}/{:d}</span>'
    '<span class="ws-person-bar" aria-hidden="true"><span style="width: {:d}%"></span></span></li>'
)


@register.simple_tag
def completion_rows(progress, total_items):
    """The rows of the worksheet panel's "Completion per learner" list."""

    def row(p):
        state = "done" if total_items and p.answered == total_items else "started" if p.answered else "none"
        return state, escape(p.participant.display_name), p.answered, p.total, p.percent

    return _rows(COMPLETION_ROW, (row(p) for p in progress))


@register.filter
def duration_clock(seconds) -> str:
    """Seconds as m:ss or h:mm:ss, sign dropped (the template says whether it is over)."""
    total = abs(int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def duration_words(seconds) -> str:
    """Seconds for people and screen readers: '12 minutes', '1 minute 30 seconds'."""
    total = abs(int(seconds or 0))
    minutes, secs = divmod(total, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


@register.filter
def minutes(seconds) -> int:
    return round(int(seconds or 0) / 60)


@register.filter
def pct(value) -> str:
    """A width for inline CSS, immune to localisation."""
    return f"{float(value or 0):.3f}%"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def absolute(value):
    return abs(int(value or 0))
