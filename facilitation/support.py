"""Live tool: support (being built)."""


def panel_context(session, view: str) -> dict:
    return {}


def learner_context(session, participant) -> dict:
    return {}
