"""support models."""

__all__: list[str] = []
