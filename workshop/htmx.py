"""The request a view gets when it reads `request.htmx`: django-htmx's HtmxMiddleware (workshop.settings) sets
that attribute on every request; Django's HttpRequest does not declare it, so such views annotate this."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
