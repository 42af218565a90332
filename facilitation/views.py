from django.http import HttpRequest, HttpResponse


def join(request: HttpRequest, code: str = "") -> HttpResponse:
    return HttpResponse("join")


def learner_page(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("learner")


def sessions(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sessions")


def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("dashboard")


def projector(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("projector")
