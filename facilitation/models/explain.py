"""explain models."""

__all__: list[str] = []
