"""The seed's stack as a peer: Django + DRF + simplejwt, cookie-or-header authentication (the seed's
CustomAuthentication, with its indentation slip fixed), the user loaded from SQLite on every request.
Configured from the environment by bench/lib/django.js; served by gunicorn with 2 sync workers."""
import os
from datetime import timedelta

from django.conf import settings

KEY = os.environ["BENCH_KEY"]
settings.configure(
    DEBUG=False,
    SECRET_KEY=KEY,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework_simplejwt.token_blacklist",
    ],
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB"]}},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["benchauth.CustomAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    },
    SIMPLE_JWT={
        "SIGNING_KEY": KEY,
        "ALGORITHM": "HS256",
        "ACCESS_TOKEN_LIFETIME": timedelta(hours=2),
        "AUTH_COOKIE": "access_token",
    },
)

import django  # noqa: E402

django.setup()

from django.contrib.auth import authenticate  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view, authentication_classes, permission_classes  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request):
    return Response({"status": "ok"})


@api_view(["GET"])
def me(request):
    u = request.user
    return Response({"id": u.id, "username": u.username, "email": u.email})


@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
def login(request):
    user = authenticate(username=request.data.get("username"), password=request.data.get("password"))
    if user is None or not user.is_active:
        return Response({"detail": "No active account found with the given credentials"}, status=401)
    refresh = RefreshToken.for_user(user)
    response = Response({"user": {"id": user.id, "username": user.username}})
    response.set_cookie("access_token", str(refresh.access_token), httponly=True, samesite="Lax")
    return response


urlpatterns = [path("api/health/", health), path("api/me/", me), path("api/login/", login)]
application = get_wsgi_application()


def setup(username, password):
    """Create the schema and one user (called once by the bench before gunicorn starts)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username=username).exists():
        User.objects.create_user(username=username, password=password, email=username + "@example.com")
