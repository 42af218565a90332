"""polls models (issue: live brainstorm wall and real-time polls)."""

__all__: list[str] = []
