"""The ASGI application: HTTP through Django, WebSockets through Channels (huitou.chat).

`huitou serve` runs it in one process with the worker; production runs any number of
`uvicorn huitou.config.asgi:application` processes behind a proxy, with REDIS_URL set so
their channel layer is shared (README "Deploying")."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huitou.config.settings.prod")
# Django first: the WebSocket routes import models.
django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from huitou.chat.urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        # Same-origin pages only (the help centre's widget, staff pages), with the session.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
