"""Pages of direct messages: the inboxes (a customer's, a provider's), a thread with its
composer, writing to someone for the first time, block, report, refund, the message
policy, and staff moderation. Thin: parse, authorise (the gates), call a service,
render. Sending works without JavaScript (a form post); messaging.js sends over the
socket when it can."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.access.selectors import message_policies_for
from aizuchi.access.services import message_policy_set
from aizuchi.core.errors import Conflict, InvalidInput, Refused, http_status
from aizuchi.core.forms import act, add_service_errors, submit_form
from aizuchi.relationships.selectors import relationship_for
from aizuchi.storefront.area import provider_area, render_manage
from aizuchi.storefront.selectors.providers import provider_get, provider_get_for_owner

from . import selectors
from .forms import MessageForm, MessagePolicyForm, ModerationForm, ReportForm
from .models import Role, Thread, private_storage
from .services import reports, threads

BLOCKED = _("%(customer)s can no longer send you messages, call, chat or book.")
UNBLOCKED = _("%(customer)s can reach you again.")
REPORTED = _("Thank you. Staff will look at this message; you will hear what they decide.")
REFUNDED = _("The points for this message went back to %(customer)s.")
POLICY_SAVED = _("Your message settings are saved.")
DECIDED = _("The reports of this message are closed.")


# --- inboxes ----------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest, *, role: str, user=None, provider=None) -> dict:
    query = (request.GET.get("q") or "").strip()[:100]
    unread_only = request.GET.get("unread") == "1"
    context: dict = {
        "role": role,
        "query": query,
        "unread_only": unread_only,
        "unread": selectors.unread_for_role(role=role, user=user, provider=provider),
    }
    if query:
        context["results"] = selectors.messages_search(
            role=role, query=query, user=user, provider=provider
        )
    else:
        context["page"] = selectors.inbox(
            role=role,
            user=user,
            provider=provider,
            unread_only=unread_only,
            page=request.GET.get("page"),
        )
    return context


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The customer's inbox; someone with a storefront also sees how many messages wait
    there (their provider inbox is in their own area)."""
    context = _inbox_context(request, role=Role.CUSTOMER, user=request.user)
    own = provider_get_for_owner(user=request.user)
    if own is not None:
        context["own_provider"] = own
        context["own_unread"] = selectors.unread_for_role(role=Role.PROVIDER, provider=own)
    template = "messaging/_thread_list.html" if request.GET.get("part") == "list" else None
    return render(request, template or "messaging/inbox.html", context)


@require_GET
@provider_area("messages")
def provider_inbox(request: HttpRequest, *, provider) -> HttpResponse:
    context = _inbox_context(request, role=Role.PROVIDER, provider=provider)
    if request.GET.get("part") == "list":
        return render(request, "messaging/_thread_list.html", context)
    return render_manage(request, "messaging/provider_inbox.html", context)


# --- a thread -----------------------------------------------------------------------------------


def _composer_context(thread: Thread | None, *, role: str, provider, customer, form=None) -> dict:
    """What the composer shows before sending: for a customer, the quote (what this
    message costs, how many free ones are left, or why none can be sent and what to do
    instead), whose price the form carries; for the provider, whether they blocked the
    customer."""
    form = form or MessageForm()
    context: dict = {"form": form, "role": role}
    if role == Role.CUSTOMER:
        quote = selectors.message_quote_for_customer(
            customer=customer, provider=provider, thread=thread
        )
        context["quote"] = quote
        price = quote.message.price_yen if quote.message is not None else 0
        if form.is_bound:  # shown again after a refusal: with the price as it is now
            form.data = form.data.copy()
            form.data["price_yen"] = str(price)
        else:
            form.initial["price_yen"] = price
    else:
        context["blocked"] = relationship_for(
            provider_id=provider.pk, customer_id=customer.pk
        ).is_blocked
    return context


def _thread_page(request, thread, *, role, provider, customer, form=None, refusal=None, status=200):
    page = (
        selectors.thread_messages(thread=thread, before_id=request.GET.get("before"))
        if thread is not None
        else None
    )
    context = {
        "thread": thread,
        "role": role,
        "provider": provider,
        "customer": customer,
        "page": page,
        "refusal": refusal,
        "max_images": selectors.messaging_setting("IMAGES_MAX"),
        **_composer_context(thread, role=role, provider=provider, customer=customer, form=form),
    }
    if role == Role.PROVIDER:
        context["provider_own"] = provider
    return render(request, "messaging/thread.html", context, status=status)


def _send(request, send, *, thread, role, provider, customer) -> HttpResponse:
    """Post a message from the composer form: to the thread on success, else the page
    again with the field errors or the refusal (and the quote as it is now)."""
    form = MessageForm(request.POST)
    refusal = None
    status = 400
    try:
        sent = submit_form(
            form,
            lambda data: send(
                text=data["text"],
                client_id=data["idempotency_key"],
                images=request.FILES.getlist("images"),
                price_yen=data["price_yen"],
            ),
            conflict_field="text",
        )
    except Refused as refused:
        sent, refusal, status = None, refused.reasons, http_status(refused)
    if sent is not None:
        message, _created = sent
        return redirect(reverse("messaging:thread", args=[message.thread_id]) + f"#m{message.pk}")
    if thread is None and refusal is None and customer is not None and provider is not None:
        thread = selectors.thread_for_pair(provider=provider, customer=customer)
    if form.is_bound and not form.errors and refusal is None:
        status = 409
    # The key of a refused send may be used again: nothing was stored under it.
    return _thread_page(
        request,
        thread,
        role=role,
        provider=provider,
        customer=customer,
        form=form,
        refusal=refusal,
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_page(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_get_for_participant(user=request.user, thread_id=thread_id)
    role = thread.role_of(request.user)
    if request.method == "POST":

        def send(**fields):
            return threads.message_send(user=request.user, thread_id=thread.pk, **fields)

        return _send(
            request,
            send,
            thread=thread,
            role=role,
            provider=thread.provider,
            customer=thread.customer,
        )
    if request.GET.get("part") == "composer":
        return render(
            request,
            "messaging/_composer.html",
            {
                "thread": thread,
                "provider": thread.provider,
                "customer": thread.customer,
                "max_images": selectors.messaging_setting("IMAGES_MAX"),
                **_composer_context(
                    thread, role=role, provider=thread.provider, customer=thread.customer
                ),
            },
        )
    if not request.GET.get("before"):
        # Opening the thread reads it (works without JavaScript; the page's socket
        # marks what arrives while it is open).
        threads.thread_read(user=request.user, thread=thread)
    return _thread_page(
        request, thread, role=role, provider=thread.provider, customer=thread.customer
    )


@login_required
@require_http_methods(["GET", "POST"])
def to_provider(request: HttpRequest, provider_id: int) -> HttpResponse:
    """Write to a provider: their thread with the composer (opened by the first message)."""
    provider = provider_get(provider_id=provider_id)
    if provider.user_id == request.user.pk:
        return redirect("messaging:provider_inbox")
    thread = selectors.thread_for_pair(provider=provider, customer=request.user)
    if request.method == "GET" and thread is not None:
        return redirect("messaging:thread", thread.pk)
    if request.method == "POST":

        def send(**fields):
            return threads.message_send_to_provider(
                customer=request.user, provider_id=provider.pk, **fields
            )

        return _send(
            request,
            send,
            thread=thread,
            role=Role.CUSTOMER,
            provider=provider,
            customer=request.user,
        )
    return _thread_page(request, None, role=Role.CUSTOMER, provider=provider, customer=request.user)


@require_http_methods(["GET", "POST"])
@provider_area("messages")
def to_customer(request: HttpRequest, customer_id: int, *, provider) -> HttpResponse:
    """The provider writes to one of their customers."""
    customer = threads.customer_known(provider=provider, customer_id=customer_id)
    thread = selectors.thread_for_pair(provider=provider, customer=customer)
    if request.method == "GET" and thread is not None:
        return redirect("messaging:thread", thread.pk)
    if request.method == "POST":

        def send(*, price_yen=None, **fields):
            return threads.message_send_to_customer(
                provider=provider, customer_id=customer.pk, **fields
            )

        return _send(
            request, send, thread=thread, role=Role.PROVIDER, provider=provider, customer=customer
        )
    return _thread_page(request, None, role=Role.PROVIDER, provider=provider, customer=customer)


@login_required
@require_POST
def block(request: HttpRequest, thread_id: int) -> HttpResponse:
    blocked = request.POST.get("action") != "unblock"
    thread = threads.thread_block_set(user=request.user, thread_id=thread_id, blocked=blocked)
    text = BLOCKED if blocked else UNBLOCKED
    messages.success(request, text % {"customer": thread.customer.public_name})
    return redirect("messaging:thread", thread.pk)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_participant(user=request.user, message_id=message_id)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit_form(
            form,
            lambda data: reports.message_report(
                user=request.user, message_id=message.pk, reason=data["reason"]
            ),
            conflict_field="reason",
        )
        if done is not None:
            messages.success(request, REPORTED)
            return redirect("messaging:thread", message.thread_id)
        status = 400
    own = message.sender == message.thread.role_of(request.user)
    return render(
        request,
        "messaging/report.html",
        {"message": message, "thread": message.thread, "form": form, "own": own},
        status=status,
    )


@login_required
@require_POST
def refund(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get_for_participant(user=request.user, message_id=message_id)
    act(
        request,
        lambda: threads.message_refund(user=request.user, message_id=message.pk),
        lambda refunded: REFUNDED % {"customer": message.thread.customer.public_name},
    )
    return redirect(reverse("messaging:thread", args=[message.thread_id]) + f"#m{message.pk}")


@login_required
@require_GET
def image(request: HttpRequest, image_id: int) -> FileResponse:
    """A message's photo, for the thread's two people (and staff, for a reported one)."""
    found = selectors.image_get_for_viewer(user=request.user, image_id=image_id)
    field = found.thumbnail if request.GET.get("size") == "thumbnail" else found.image
    try:
        handle = private_storage.open(field.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/webp")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- the provider's message settings ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@provider_area("messages")
def policy(request: HttpRequest, *, provider) -> HttpResponse:
    form = MessagePolicyForm(request.POST or None, policies=message_policies_for(provider=provider))
    if request.method == "POST":
        saved = submit_form(form, lambda data: message_policy_set(provider=provider, **data))
        if saved is not None:
            messages.success(request, POLICY_SAVED)
            return redirect("messaging:policy")
    return render_manage(
        request, "messaging/policy.html", {"form": form}, status=400 if form.errors else 200
    )


# --- staff ------------------------------------------------------------------------------------


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404(selectors.MESSAGE_NOT_FOUND)
        return view(request, *args, **kwargs)

    return wrapper


def _moderation(request, *, failed_id=None, failed_form=None, status=200) -> HttpResponse:
    reported = selectors.reported_messages()
    for message in reported:
        message.moderation_form = (
            failed_form if message.pk == failed_id else ModerationForm(prefix=f"m{message.pk}")
        )
    return render(
        request,
        "messaging/moderation.html",
        {"reported": reported, "decided": selectors.reports_decided(), "failed_id": failed_id},
        status=status,
    )


@require_GET
@staff_only
def moderation(request: HttpRequest) -> HttpResponse:
    return _moderation(request)


@staff_only
@require_POST
def moderation_decide(request: HttpRequest, message_id: int) -> HttpResponse:
    form = ModerationForm(request.POST, prefix=f"m{message_id}")
    status = 400
    if form.is_valid():
        try:
            reports.report_decide(
                user=request.user,
                message_id=message_id,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, DECIDED)
            return redirect("messaging:moderation")
    return _moderation(request, failed_id=message_id, failed_form=form, status=status)
