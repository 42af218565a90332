from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from facilitation import tools
from facilitation.live import versions
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


# --- Wall notes -----------------------------------------------------------------------------------------------
# A wall of 300 notes is the longest list on any screen, on the dashboard and on every learner page (each one
# renders it again when its socket reconnects). Each note is written here once, for every region that shows it.

_SENTINEL = 987654321


def _note_url(context, name: str, code: str, note_id: int, *rest) -> str:
    """reverse() for a note's URL, without its cost for each of hundreds of notes: the URL is reversed once per
    render with a sentinel id, and the note's id is put in its place."""
    cache = context.render_context.setdefault("phasewise_note_urls", {})
    key = (name, code, rest)
    parts = cache.get(key)
    if parts is None:
        sample = reverse(name, args=[code, _SENTINEL, *rest])
        parts = cache[key] = sample.partition(str(_SENTINEL))[::2]
    return f"{parts[0]}{int(note_id)}{parts[1]}"


def _votes(n: int) -> str:
    return f"{n} vote{'' if n == 1 else 's'}"


def _cluster_options(context, clusters, selected) -> str:
    cache = context.render_context.setdefault("phasewise_cluster_options", {})
    key = (id(clusters), selected)
    if key not in cache:
        options = ['<option value="">Not clustered</option>']
        for cluster in clusters:
            chosen = "selected" if cluster.pk == selected else ""
            options.append(f'<option value="{cluster.pk}" {chosen}>{escape(cluster.name)}</option>')
        cache[key] = "".join(options)
    return cache[key]


@register.simple_tag(takes_context=True)
def staff_note(context, note, wall, code):
    """A note on the facilitators' board, with its tools (move to a cluster, hide or restore)."""
    colour, text, author = escape(note.colour), escape(note.text), escape(note.author)
    if note.hidden:
        restore = _note_url(context, "facilitation:wall_note", code, note.id, "restore")
        drag = ""
        actions = f'<button class="small" hx-post="{restore}" hx-swap="none">Restore</button>'
    else:
        move = _note_url(context, "facilitation:wall_note", code, note.id, "move")
        hide = _note_url(context, "facilitation:wall_note", code, note.id, "hide")
        drag = f' draggable="true" data-move-url="{move}"'
        actions = (
            f'<form class="note-move" hx-post="{move}" hx-swap="none">'
            f'<select name="cluster" aria-label="Move note to cluster">'
            f"{_cluster_options(context, wall.clusters, note.cluster_id)}</select>"
            f'<button class="small">Move</button></form>'
            f'<button class="small danger" hx-post="{hide}" hx-swap="none">Hide'
            f'<span class="sr-only"> this note</span></button>'
        )
    return mark_safe(
        f'<li class="note note-{colour}"{drag} data-note-id="{int(note.id)}"><p class="note-text">{text}</p>'
        f'<div class="note-meta"><span class="note-author">{author}</span><span class="note-votes">'
        f'<span class="vote-count">{_votes(note.votes)}</span></span></div>'
        f'<div class="note-tools">{actions}</div></li>'
    )


@register.simple_tag(takes_context=True)
def public_note(context, note, wall, voter=False):
    """A note as learners and the projector see it; learners get a Vote button while voting is open."""
    author = f'<span class="note-author">{escape(note.author)}</span>' if note.author else ""
    has_votes = " has-votes" if note.votes else ""
    button = ""
    if voter and wall.state.voting_open:
        vote = _note_url(context, "facilitation:wall_vote", wall.session.code, note.id)
        button = (
            f'<button type="button" class="vote-button" name="action" value="add" aria-pressed="false" '
            f'data-vote-button data-note-id="{int(note.id)}" hx-post="{vote}" hx-target="#wall-my-votes" '
            f'hx-swap="outerHTML" hx-disabled-elt="this"><span class="vote-label">Vote</span>'
            f'<span class="sr-only"> for this note</span></button>'
        )
    return mark_safe(
        f'<li class="note note-{escape(note.colour)}" data-note-id="{int(note.id)}">'
        f'<p class="note-text">{escape(note.text)}</p><div class="note-meta">{author}'
        f'<span class="note-votes{has_votes}"><span aria-hidden="true">●</span> '
        f'<span class="vote-count">{_votes(note.votes)}</span></span>{button}</div></li>'
    )


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


@register.inclusion_tag("facilitation/_tool_assets.html")
def tool_assets():
    """Every registered tool's styles and scripts, in registry order (what each tool's TOOL declares)."""
    return {"styles": tools.styles(), "scripts": tools.scripts()}


# --- Live regions -------------------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def live(context, topic: str):
    """The attributes of a live region's root element: its topic and the version it shows (live.versions, the
    one rule for staleness), and, when it goes out of band (a push, a resync, a control's answer), htmx's
    hx-swap-oob."""
    session = context.get("session")
    if session is None:
        raise template.TemplateSyntaxError("{% live %} needs the session in the context")
    attrs = f' data-topic="{escape(topic)}" data-version="{versions.stamp(session)}"'
    if context.get("oob"):
        attrs += ' hx-swap-oob="true"'
    return mark_safe(attrs)
