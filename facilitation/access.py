"""Every lookup a view makes, with its access check: a facilitator's own session, a learner's session and
participant. Views find sessions and learners only through these, so no view can forget the check."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_ratelimit.core import is_ratelimited

from facilitation import guesses
from facilitation.joining import participant_for, participant_id_for, sessions_of
from facilitation.models import LiveSession, Participant, normalize_code


def facilitator_session(request: HttpRequest, code: str) -> LiveSession:
    """The session with this code that the signed-in user facilitates; 404 for anyone else."""
    session = sessions_of(request.user).filter(code=normalize_code(code)).order_by("-created_at").first()
    if session is None:
        raise Http404("No session with that code is yours.")
    return session


class LearnerDataDeleted(Http404):
    """This browser's learner was in the session, but the facilitator has since deleted the learner data."""

    def __init__(self, session: LiveSession):
        super().__init__("This session's learner data was deleted.")
        self.session = session


def lookup(request: HttpRequest, code: str) -> tuple[LiveSession | None, Participant | None]:
    """The session with this code and this browser's participant in it (None if it never joined). A code that
    names no session is a wrong-code guess (`facilitation.guesses`), whichever learner URL it was tried on. A
    browser whose participant was deleted with the session's learner data gets `not_found`'s friendly page,
    wherever it asks."""
    sessions = LiveSession.objects.select_related("lesson").filter(code=normalize_code(code))
    session = sessions.order_by("-created_at").first()
    if session is None:
        guesses.count_wrong_code(request)
        return None, None
    participant = participant_for(request.session, session)
    if (
        participant is None
        and session.learner_data_deleted_at is not None
        and participant_id_for(request.session, session.code) is not None
    ):
        raise LearnerDataDeleted(session)
    return session, participant


# One answer for a learner URL with an unknown code and one with a real code this browser has not joined: two
# answers would tell a guesser, past every join limit, which codes are open.
NOT_JOINED = (
    "This page is for learners who have joined the session: join with the code your facilitator shows."
)


def session_and_participant(request: HttpRequest, code: str) -> tuple[LiveSession, Participant | None]:
    """`lookup` for learner URLs that need a session: an unknown code is a (styled) 404 that reads like the
    one for a session not joined (`NOT_JOINED`)."""
    session, participant = lookup(request, code)
    if session is None:
        raise Http404(NOT_JOINED)
    return session, participant


def learner(request: HttpRequest, code: str) -> tuple[LiveSession, Participant]:
    """The session and this browser's participant, for learner URLs that need one: 404 (`NOT_JOINED`) for a
    browser that has not joined, as for an unknown code."""
    session, participant = session_and_participant(request, code)
    if participant is None:
        raise Http404(NOT_JOINED)
    return session, participant


def participant_over_limit(
    request: HttpRequest, participant: Participant, *, group: str, setting: str
) -> bool:
    """Count one action of this learner against the rate in `settings.<setting>` (e.g. "5/30s"); True when
    they are over it. Keyed by participant, not address: a room shares one Wi-Fi address."""
    return is_ratelimited(
        request,
        group=group,
        key=lambda group, request: f"participant-{participant.pk}",
        rate=lambda group, request: getattr(settings, setting),
        increment=True,
    )


def to_join_page(code: str) -> HttpResponse:
    """Where a learner page sends a browser that has not joined: the join page for the code, whether it is open,
    ended or unknown (the join page says which, within the join limits)."""
    code = normalize_code(code)
    return redirect("facilitation:join_code", code=code) if code else redirect("facilitation:join")
