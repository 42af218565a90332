"""The live polls: rules and pushes (to be built)."""


def panel_context(session, view: str) -> dict:
    return {}


def learner_context(session, participant) -> dict:
    return {}
