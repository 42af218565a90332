JOINED: list[int] = []


def panel_context(session, view: str) -> dict:
    return {"sample_panel": f"Sample tool on the {view} of {session.code}"}


def learner_context(session, participant) -> dict:
    return {"sample_learner": f"Sample tool for {participant.display_name}"}


def joined(participant) -> None:
    JOINED.append(participant.pk)


def learner_socket_groups(session, participant) -> list[str]:
    return [f"registry-sample-learner-{participant.pk}"]


def view_socket_groups(session, view: str, query: dict[str, str]) -> list[str] | None:
    return [f"registry-sample-{session.pk}-{query.get('part', '')}"] if query.get("part") else None
