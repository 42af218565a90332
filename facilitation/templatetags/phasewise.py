from django import template

register = template.Library()


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
