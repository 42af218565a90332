from django.urls import path

from facilitation.live.consumers import SessionConsumer

websocket_urlpatterns = [
    path("ws/s/<str:code>/", SessionConsumer.as_asgi()),
]
