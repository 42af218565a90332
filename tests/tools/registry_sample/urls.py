from django.urls import path

from tests.tools.registry_sample import views

urlpatterns = [path("s/<str:code>/registry-sample/", views.ping, name="registry_sample_ping")]
