import json

from django.contrib.auth import authenticate, login
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path


def healthz(request):
    return JsonResponse({"status": "ok"})


def csrf(request):
    return JsonResponse({"csrfToken": get_token(request)})


def me(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not_authenticated"}, status=401)
    u = request.user
    return JsonResponse({"id": u.id, "username": u.username, "email": u.email, "first_name": u.first_name,
                         "last_name": u.last_name, "is_staff": u.is_staff, "is_superuser": u.is_superuser,
                         "date_joined": u.date_joined.isoformat(),
                         "last_login": u.last_login.isoformat() if u.last_login else None})


def api_login(request):
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "malformed_json"}, status=400)
    user = authenticate(request, username=body.get("username"), password=body.get("password"))
    if user is None:
        return JsonResponse({"error": "invalid_credentials"}, status=401)
    login(request, user)
    return JsonResponse({"id": user.id, "username": user.username})


urlpatterns = [
    path("healthz", healthz),
    path("api/csrf", csrf),
    path("api/me", me),
    path("api/login", api_login),
]
