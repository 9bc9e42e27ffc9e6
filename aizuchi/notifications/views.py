from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from aizuchi.core.redirects import redirect_local

from . import services
from .selectors import notification_list


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request, "notifications/inbox.html", {"notifications": notification_list(user=request.user)}
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = services.notification_mark_read(
        user=request.user, notification_id=notification_id
    )
    return redirect_local(request, notification.url, fallback=reverse("notifications:inbox"))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(user=request.user)
    return redirect("notifications:inbox")
