from django.urls import path

from tests.facilitation.registry_sample import views

urlpatterns = [path("s/<str:code>/registry-sample/", views.ping, name="registry_sample_ping")]
