from django.urls import path

from facilitation.consumers import SessionConsumer

websocket_urlpatterns = [
    path("ws/s/<str:code>/", SessionConsumer.as_asgi()),
]
