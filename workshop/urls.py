from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from workshop import signin, views

# Both sign-in forms are throttled (workshop.signin).
admin.site.login_form = signin.AdminSignInForm

handler404 = "facilitation.views.not_found"
handler500 = "workshop.unavailable.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/", auth_views.LoginView.as_view(authentication_form=signin.SignInForm), name="login"
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("lessons/", include("lessons.urls")),
    path("", include("facilitation.urls")),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]
