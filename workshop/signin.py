"""Sign-in throttling for the site's and the admin's login forms.

Failed sign-ins are counted (django-ratelimit, in the cache) against three limits:
- one username from one address (`LOGIN_RATE`): a guesser at one account, or a facilitator who forgot;
- one address, any username (`LOGIN_ADDRESS_RATE`): one machine trying many accounts. Set well above the
  first, so one person's mistakes never lock out the conference Wi-Fi their colleagues share;
- one username, any address (`LOGIN_USERNAME_RATE`): many machines at one account; per hour, so the real user
  is not locked out by an ordinary burst of someone else's mistakes.
A try past a limit is refused before the password is checked: hashing a password costs ~0.3 s of CPU inside
the server's HTTP slots, which is what a flood of wrong passwords would otherwise buy. Successful sign-ins
are never counted. The refused form answers 429 with a message that says to wait."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from workshop.client_ip import client_network

TOO_MANY_HERE = "Too many failed sign-ins for this account from your network. Wait a minute and try again."
TOO_MANY_FROM_NETWORK = "Too many failed sign-ins from your network. Wait a minute and try again."
TOO_MANY_FOR_ACCOUNT = (
    "Too many failed sign-ins for this account. Wait a while and try again, or ask an administrator."
)


def _limits(request: HttpRequest, username: str) -> list[tuple[str, str, str, str]]:
    """(group, key, rate, message) of each limit, the narrowest first."""
    address, name = client_network(request), username.strip().casefold()
    return [
        ("signin-account-address", f"{address} {name}", settings.LOGIN_RATE, TOO_MANY_HERE),
        ("signin-address", address, settings.LOGIN_ADDRESS_RATE, TOO_MANY_FROM_NETWORK),
        ("signin-account", name, settings.LOGIN_USERNAME_RATE, TOO_MANY_FOR_ACCOUNT),
    ]


def _usage(request: HttpRequest, group: str, key: str, rate: str, *, increment: bool) -> dict | None:
    return get_usage(request, group=group, key=lambda g, r: key, rate=lambda g, r: rate, increment=increment)


def refusal(request: HttpRequest, username: str) -> str | None:
    """Why a sign-in as `username` from this address is refused now, or None. Counts nothing."""
    for group, key, rate, message in _limits(request, username):
        usage = _usage(request, group, key, rate, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            return message
    return None


def count_failure(request: HttpRequest, username: str) -> None:
    for group, key, rate, _ in _limits(request, username):
        _usage(request, group, key, rate, increment=True)


class ThrottledSignIn:
    """For an `AuthenticationForm`: refuse a throttled try before `authenticate` hashes the password, and count
    each failed one."""

    request: HttpRequest | None
    cleaned_data: dict

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if self.request is None or username is None or not password:
            return super().clean()
        if message := refusal(self.request, username):
            self.request.signin_throttled = True
            raise forms.ValidationError(message, code="throttled")
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                count_failure(self.request, username)
            raise


class SignInForm(ThrottledSignIn, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    pass


class ThrottledStatusMiddleware:
    """A sign-in form refused for throttling answers 429 Too Many Requests (the form, with its message), for the
    site's and the admin's login views alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "signin_throttled", False) and response.status_code == 200:
            response.status_code = 429
        return response
