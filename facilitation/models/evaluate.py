"""evaluate models."""

__all__: list[str] = []
