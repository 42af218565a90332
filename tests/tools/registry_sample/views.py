from django.http import HttpResponse

from facilitation import access


def ping(request, code):
    session, participant = access.learner(request, code)
    return HttpResponse(f"Sample answer for {participant.display_name} in {session.code}")
