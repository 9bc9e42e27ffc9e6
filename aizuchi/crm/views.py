"""Pages of the customer cards, in the provider's own area: the customer list (filters,
sort, search, CSV), a card with its history and the provider's edits, notes, tier
names, and the one step after hanging up. Thin: parse, authorise (the gates), call a
service, render."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.forms import submit_form
from aizuchi.core.redirects import redirect_local
from aizuchi.storefront.area import provider_area, render_manage

from . import selectors
from .forms import CardForm, ListFilterForm, NoteAndTierForm, NoteForm, TierNamesForm
from .services import cards

CARD_SAVED = _("The card is saved.")
NOTE_ADDED = _("The note is added.")
NOTE_SAVED = _("The note is saved.")
NOTE_DELETED = _("The note is deleted.")
TIERS_SAVED = _("The tier names are saved.")
AFTER_CALL_SAVED = _("Saved on %(customer)s's card.")


def _list_form(request: HttpRequest, provider) -> ListFilterForm:
    form = ListFilterForm(
        request.GET or None,
        tiers=selectors.tier_names(provider=provider),
        tags=selectors.tags_for_provider(provider=provider),
    )
    if form.is_bound:
        form.is_valid()
    return form


@require_GET
@provider_area("customers")
def customer_list(request: HttpRequest, *, provider) -> HttpResponse:
    form = _list_form(request, provider)
    page = selectors.customers_page(
        provider=provider, filters=form.filters(), page=request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render_manage(
        request,
        "crm/list.html",
        {
            "form": form,
            "page": page,
            "tiers": selectors.tier_names(provider=provider),
            "query_string": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@provider_area("customers")
def customer_export(request: HttpRequest, *, provider) -> StreamingHttpResponse:
    """The filtered list as CSV in UTF-8 with a byte order mark, so Excel opens it."""
    form = _list_form(request, provider)
    writer = csv.writer(_Echo())
    rows = selectors.customers_export_rows(
        provider=provider,
        filters=form.filters(),
        tiers=selectors.tier_names(provider=provider),
    )

    def lines():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines()), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


def _card_page(request, provider, view, *, form=None, note_form=None, status=200):
    history = selectors.card_history(view=view)
    card = view.card
    form = form or CardForm(
        tiers=view.tier_names,
        sessions=history.sessions,
        initial={
            "personality_model": card.personality_model,
            "personality_type": card.personality_type,
            "style": card.style,
            "tier": card.tier,
            "tags": " ".join(tag.name for tag in view.tags),
            "mismatch": card.mismatch,
            "mismatch_session_id": card.mismatch_session_id,
        },
    )
    return render_manage(
        request,
        "crm/card.html",
        {
            "view": view,
            "history": history,
            "form": form,
            "note_form": note_form or NoteForm(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def card(request: HttpRequest, customer_id: int, *, provider) -> HttpResponse:
    view = selectors.card_get_for_provider(provider=provider, customer_id=customer_id)
    if request.method == "GET":
        return _card_page(request, provider, view)
    history = selectors.card_history(view=view)
    form = CardForm(request.POST, tiers=view.tier_names, sessions=history.sessions)
    saved = submit_form(
        form,
        lambda data: cards.card_update(
            provider=provider,
            customer_id=customer_id,
            personality_model=data["personality_model"],
            personality_type=data["personality_type"],
            style=data["style"],
            tier=data["tier"],
            mismatch=data["mismatch"],
            mismatch_session_id=data["mismatch_session_id"],
            tags=data["tags"],
        ),
    )
    if saved is None:
        return _card_page(request, provider, view, form=form, status=400)
    messages.success(request, CARD_SAVED)
    return redirect("crm:card", customer_id=view.customer.pk)


@require_POST
@provider_area("customers")
def note_add(request: HttpRequest, customer_id: int, *, provider) -> HttpResponse:
    view = selectors.card_get_for_provider(provider=provider, customer_id=customer_id)
    form = NoteForm(request.POST)
    note = submit_form(
        form,
        lambda data: cards.note_add(provider=provider, customer_id=customer_id, text=data["text"]),
    )
    if note is None:
        return _card_page(request, provider, view, note_form=form, status=400)
    messages.success(request, NOTE_ADDED)
    return redirect(reverse("crm:card", args=[view.customer.pk]) + "#notes")


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def note_edit(request: HttpRequest, note_id: int, *, provider) -> HttpResponse:
    note = selectors.note_get_for_provider(provider=provider, note_id=note_id)
    customer_id = note.card.relationship.customer_id
    if request.method == "GET":
        form = NoteForm(initial={"text": note.text})
    else:
        form = NoteForm(request.POST)
        saved = submit_form(
            form,
            lambda data: cards.note_edit(provider=provider, note_id=note_id, text=data["text"]),
        )
        if saved is not None:
            messages.success(request, NOTE_SAVED)
            return redirect(reverse("crm:card", args=[customer_id]) + "#notes")
    return render_manage(
        request,
        "crm/note_edit.html",
        {"note": note, "form": form, "customer_id": customer_id},
        status=400 if form.is_bound else 200,
    )


@require_POST
@provider_area("customers")
def note_delete(request: HttpRequest, note_id: int, *, provider) -> HttpResponse:
    note = selectors.note_get_for_provider(provider=provider, note_id=note_id)
    customer_id = note.card.relationship.customer_id
    cards.note_delete(provider=provider, note_id=note_id)
    messages.success(request, NOTE_DELETED)
    return redirect(reverse("crm:card", args=[customer_id]) + "#notes")


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def tiers(request: HttpRequest, *, provider) -> HttpResponse:
    names = selectors.tier_names(provider=provider)
    form = TierNamesForm(request.POST or None, tiers=names)
    if request.method == "POST":
        saved = submit_form(
            form,
            lambda data: (
                cards.tier_names_set(
                    provider=provider,
                    names={level: data.get(f"tier_{level}", "") for level in names},
                )
                or True
            ),
        )
        if saved:
            messages.success(request, TIERS_SAVED)
            return redirect("crm:tiers")
    return render_manage(
        request, "crm/tiers.html", {"form": form}, status=400 if form.is_bound else 200
    )


@require_GET
@provider_area("console")
def ring_card(request: HttpRequest, session_id: int, *, provider) -> HttpResponse:
    """The card in brief for a ring on the standby console (fetched by its script)."""
    view = selectors.card_for_session(provider=provider, session_id=session_id)
    return render(request, "crm/_brief.html", {"brief": view})


@require_POST
@provider_area("customers")
def note_and_tier(request: HttpRequest, customer_id: int, *, provider) -> HttpResponse:
    """The prompt after hanging up: a note and the tier in one step, back to where it was."""
    view = selectors.card_get_for_provider(provider=provider, customer_id=customer_id)
    form = NoteAndTierForm(request.POST, tiers=view.tier_names)
    back = reverse("crm:card", args=[view.customer.pk])
    saved = submit_form(
        form,
        lambda data: cards.card_note_and_tier(
            provider=provider, customer_id=customer_id, text=data["text"], tier=data["tier"]
        ),
    )
    if saved is None:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, AFTER_CALL_SAVED % {"customer": view.customer.public_name})
    return redirect_local(request, request.POST.get("next"), fallback=back)
