"""Pages of the reviews part: write, read, reply, report, moderate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.core.forms import add_service_errors
from aizuchi.storefront.area import provider_area, render_manage
from aizuchi.storefront.selectors.providers import provider_get

from .forms import ModerationForm, ReplyForm, ReportForm, ReviewForm
from .selectors import reviews as review_selectors
from .services import reviews as review_services

PAGE_SIZE = 10
MANAGE_PAGE_SIZE = 20

THANKS = _("Thank you. Your review is on the page.")
REPLIED = _("Your reply is shown under the review.")
REPORTED = _("Thank you. The staff will look at this review.")
HIDDEN = _("The review is hidden.")
SHOWN = _("The review is shown again.")
RESOLVED = _("The reports are closed.")


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest, session_id: int) -> HttpResponse:
    session = review_selectors.reviewable_session(user=request.user, session_id=session_id)
    existing = review_selectors.session_review(session=session)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    status = 200
    if existing is None and request.method == "POST":
        if form.is_valid():
            try:
                review_services.review_create(
                    user=request.user,
                    session_id=session.pk,
                    stars=form.cleaned_data["stars"],
                    text=form.cleaned_data["text"],
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(request, THANKS)
                return redirect(reverse("reputation:reviews", args=[session.provider_id]))
        if form.errors and status == 200:
            status = 400
    return render(
        request,
        "reputation/new.html",
        {"session": session, "provider": session.provider, "form": form, "existing": existing},
        status=status,
    )


@require_GET
def provider_reviews(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = provider_get(provider_id=provider_id)
    queryset = review_selectors.reviews_with_viewer_report(
        review_selectors.reviews_visible(provider_id=provider.pk), user=request.user
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reputation/list.html",
        {
            "provider": provider,
            "page": page,
            "distribution": review_selectors.rating_distribution(provider_id=provider.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_report(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_selectors.reviews_visible_one(review_id=review_id)
    if review is None:
        raise Http404(review_services.REVIEW_NOT_FOUND)
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                review_services.review_report(
                    user=request.user, review_id=review.pk, reason=form.cleaned_data["reason"]
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(request, REPORTED)
                return redirect(reverse("reputation:reviews", args=[review.provider_id]))
        if form.errors and status == 200:
            status = 400
    return render(
        request, "reputation/report.html", {"review": review, "form": form}, status=status
    )


# --- the provider's own area ------------------------------------------------------------------


def _manage_page(request, provider, *, failed_id: int | None = None, failed_form=None):
    page = Paginator(
        review_selectors.reviews_for_owner(provider=provider), MANAGE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for review in page.object_list:
        review.reply_form = (
            failed_form if review.pk == failed_id else ReplyForm(prefix=f"r{review.pk}")
        )
    return {
        "page": page,
        "distribution": review_selectors.rating_distribution(provider_id=provider.pk),
    }


@provider_area("reviews")
@require_GET
def manage_reviews(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(request, "reputation/manage_reviews.html", _manage_page(request, provider))


@provider_area("reviews")
@require_POST
def manage_review_reply(request: HttpRequest, review_id: int, *, provider) -> HttpResponse:
    form = ReplyForm(request.POST, prefix=f"r{review_id}")
    status = 400
    if form.is_valid():
        try:
            review_services.review_reply(
                user=request.user, review_id=review_id, text=form.cleaned_data["reply"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, REPLIED)
            return redirect("reputation:manage_reviews")
    elif not review_selectors.reviews_for_owner(provider=provider).filter(pk=review_id).exists():
        raise Http404(review_services.REVIEW_NOT_FOUND)
    context = _manage_page(request, provider, failed_id=review_id, failed_form=form)
    context["failed_id"] = review_id
    return render_manage(request, "reputation/manage_reviews.html", context, status=status)


# --- staff moderation -------------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise Http404(review_services.REVIEW_NOT_FOUND)


def _moderation_context(*, failed_id=None, failed_form=None) -> dict:
    reported = list(review_selectors.reviews_reported()[:100])
    hidden = list(review_selectors.reviews_hidden()[:50])
    for review in reported + hidden:
        review.moderation_form = (
            failed_form if review.pk == failed_id else ModerationForm(prefix=f"m{review.pk}")
        )
    return {
        "reported": reported,
        "hidden": hidden,
        "failed_id": failed_id,
        "failed_form": failed_form,
    }


@login_required
@require_GET
def moderation(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    return render(request, "reputation/moderation.html", _moderation_context())


@login_required
@require_POST
def moderation_action(request: HttpRequest, review_id: int, action: str) -> HttpResponse:
    _staff_only(request)
    form = ModerationForm(request.POST, prefix=f"m{review_id}")
    status = 400
    try:
        if action == "resolve":
            review_services.review_reports_resolve(user=request.user, review_id=review_id)
            messages.success(request, RESOLVED)
            return redirect("reputation:review_moderation")
        if form.is_valid():
            service = (
                review_services.review_hide if action == "hide" else review_services.review_unhide
            )
            service(user=request.user, review_id=review_id, reason=form.cleaned_data["reason"])
            messages.success(request, HIDDEN if action == "hide" else SHOWN)
            return redirect("reputation:review_moderation")
    except InvalidInput as exc:
        add_service_errors(form, exc)
    except Conflict as exc:
        form.add_error(None, exc.message)
        status = 409
    context = _moderation_context(failed_id=review_id, failed_form=form)
    return render(request, "reputation/moderation.html", context, status=status)
