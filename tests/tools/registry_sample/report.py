def report_context(session, *, names: bool) -> dict:
    return {"sample_report": {"learners": session.participants.count(), "names": names}}


def sample_rows(session) -> list[list]:
    return [["participant"], *[[p.display_name] for p in session.participants.order_by("joined_at")]]


DATASETS = {"registry-sample": sample_rows}
