JOINED: list[int] = []


def panel_context(session, view: str) -> dict:
    return {"sample_panel": f"Sample tool on the {view} of {session.code}"}


def learner_context(session, participant) -> dict:
    return {"sample_learner": f"Sample tool for {participant.display_name}"}


def joined(participant) -> None:
    JOINED.append(participant.pk)
