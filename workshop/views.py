import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "home.html", {})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


async def _channel_layer_roundtrip() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "healthz.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    return message.get("type") == "healthz.ping"


def _channel_layer_ok() -> bool:
    try:
        return async_to_sync(_channel_layer_roundtrip)()
    except Exception:
        return False


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Says whether the database and the channel layer answer, for a load balancer or a worried facilitator."""
    checks = {"database": _database_ok(), "channel_layer": _channel_layer_ok()}
    healthy = all(checks.values())
    if settings.BENCHMARK_METRICS:
        from facilitation.live import broadcast

        renders = broadcast.render_count
        dropped = getattr(get_channel_layer(), "dropped", None)
        checks_extra = {"renders": renders, "sends": broadcast.send_count, "channel_dropped": dropped}
        return JsonResponse({"status": "ok" if healthy else "unavailable", **checks, **checks_extra})
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
