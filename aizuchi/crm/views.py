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

from aizuchi.core.forms import act, submit_form
from aizuchi.core.money import object_id
from aizuchi.core.redirects import redirect_local
from aizuchi.storefront.area import provider_area, render_manage

from . import selectors
from .forms import (
    CardForm,
    FollowUpEditForm,
    FollowUpForm,
    ListFilterForm,
    NoteAndTierForm,
    NoteForm,
    TemplateForm,
    TierNamesForm,
)
from .models import FollowUp
from .services import cards, followups, suggestions

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
    tiers = selectors.tier_names(provider=provider)
    page = selectors.customers_page(
        provider=provider, filters=form.filters(), page=request.GET.get("page"), tiers=tiers
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render_manage(
        request,
        "crm/list.html",
        {
            "form": form,
            "page": page,
            "query_string": query.urlencode(),
            "filtered": any(k not in ("q", "page") and v for k, v in request.GET.items()),
            "suggestions": [
                (
                    row,
                    [
                        str(suggestions.REASONS[code][1])
                        for code in row.reasons
                        if code in suggestions.REASONS
                    ],
                )
                for row in selectors.suggestions_for_provider(provider=provider)
            ],
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
            "followups": selectors.followups_for_card(view=view),
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


# --- follow-ups ---------------------------------------------------------------------------------

FOLLOWUP_SENT = _("Your follow-up is sent.")
FOLLOWUP_SCHEDULED = _("Your follow-up is scheduled.")
FOLLOWUP_SAVED = _("The follow-up is changed.")
FOLLOWUP_CANCELLED = _("The follow-up is cancelled.")
TEMPLATE_SAVED = _("The template is saved.")
TEMPLATE_DELETED = _("The template is deleted.")


def _chosen(provider, values) -> list:
    """The customers named in the request that are the provider's (the rest left out)."""
    views = []
    for value in list(values)[: followups.FOLLOWUP_MAX_RECIPIENTS * 2]:
        view = selectors.card_brief_for_provider(provider=provider, customer_id=value)
        if view is not None and all(v.customer.pk != view.customer.pk for v in views):
            views.append(view)
    return views


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def followup_new(request: HttpRequest, *, provider) -> HttpResponse:
    templates = selectors.templates_for_provider(provider=provider)
    if request.method == "GET":
        recipients = _chosen(provider, request.GET.getlist("to"))
        template = templates.filter(pk=object_id(request.GET.get("template")) or 0).first()
        form = FollowUpForm(
            recipients=recipients,
            initial={
                "customers": [str(v.customer.pk) for v in recipients],
                "body": template.body if template else "",
                "template": template.pk if template else "",
            },
        )
        status = 200
    else:
        recipients = _chosen(provider, request.POST.getlist("customers"))
        form = FollowUpForm(request.POST, recipients=recipients)
        form.fields["customers"].choices = [
            (value, value) for value in request.POST.getlist("customers")
        ] or form.fields["customers"].choices
        made = submit_form(
            form,
            lambda data: followups.followup_create(
                provider=provider,
                customer_ids=request.POST.getlist("customers"),
                body=data["body"],
                template_id=data["template"] or None,
                send_at=data["send_at"],
            ),
            conflict_field="body",
        )
        if made is not None:
            scheduled = any(f.status == FollowUp.Status.SCHEDULED for f in made)
            failed = [f for f in made if f.status == FollowUp.Status.FAILED]
            for followup in failed:
                messages.error(request, f"{followup.customer.public_name}: {followup.failure}")
            if len(failed) < len(made):
                messages.success(request, FOLLOWUP_SCHEDULED if scheduled else FOLLOWUP_SENT)
            if len(made) == 1:
                return redirect(reverse("crm:card", args=[made[0].customer_id]) + "#followups")
            return redirect("crm:followups")
        form.fields["customers"].choices = [
            (str(view.customer.pk), view.customer.public_name) for view in recipients
        ]
        status = 400
    return render_manage(
        request,
        "crm/followup_new.html",
        {
            "form": form,
            "recipients": recipients,
            "templates": templates,
            "cap": followups.FOLLOWUP_MAX_RECIPIENTS,
            "to_query": "&".join(f"to={v.customer.pk}" for v in recipients),
        },
        status=status,
    )


@require_GET
@provider_area("customers")
def followup_list(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(
        request,
        "crm/followups.html",
        {"page": selectors.followups_for_provider(provider=provider, page=request.GET.get("page"))},
    )


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def followup_edit(request: HttpRequest, followup_id: int, *, provider) -> HttpResponse:
    followup = followups.followup_get_for_provider(provider=provider, followup_id=followup_id)
    if request.method == "GET":
        form = FollowUpEditForm(
            initial={"body": followup.body, "send_at": timezone.localtime(followup.send_at)}
        )
    else:
        form = FollowUpEditForm(request.POST)
        saved = submit_form(
            form,
            lambda data: followups.followup_edit(
                provider=provider,
                followup_id=followup.pk,
                body=data["body"],
                send_at=data["send_at"],
            ),
            conflict_field="body",
        )
        if saved is not None:
            messages.success(request, FOLLOWUP_SAVED)
            return redirect("crm:followups")
    return render_manage(
        request,
        "crm/followup_edit.html",
        {"followup": followup, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
@provider_area("customers")
def followup_cancel(request: HttpRequest, followup_id: int, *, provider) -> HttpResponse:
    act(
        request,
        lambda: followups.followup_cancel(provider=provider, followup_id=followup_id),
        FOLLOWUP_CANCELLED,
    )
    return redirect("crm:followups")


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def templates(request: HttpRequest, *, provider) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    if request.method == "POST":
        saved = submit_form(
            form,
            lambda data: followups.template_save(
                provider=provider, name=data["name"], body=data["body"]
            ),
        )
        if saved is not None:
            messages.success(request, TEMPLATE_SAVED)
            return redirect("crm:templates")
    return render_manage(
        request,
        "crm/templates.html",
        {"form": form, "templates": selectors.templates_for_provider(provider=provider)},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@provider_area("customers")
def template_edit(request: HttpRequest, template_id: int, *, provider) -> HttpResponse:
    template = followups.template_get_for_provider(provider=provider, template_id=template_id)
    if request.method == "GET":
        form = TemplateForm(initial={"name": template.name, "body": template.body})
    else:
        form = TemplateForm(request.POST)
        saved = submit_form(
            form,
            lambda data: followups.template_save(
                provider=provider, name=data["name"], body=data["body"], template_id=template.pk
            ),
        )
        if saved is not None:
            messages.success(request, TEMPLATE_SAVED)
            return redirect("crm:templates")
    return render_manage(
        request,
        "crm/template_edit.html",
        {"template": template, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
@provider_area("customers")
def template_delete(request: HttpRequest, template_id: int, *, provider) -> HttpResponse:
    followups.template_delete(provider=provider, template_id=template_id)
    messages.success(request, TEMPLATE_DELETED)
    return redirect("crm:templates")


# --- suggestions --------------------------------------------------------------------------------

SUGGESTION_DISMISSED = _("The suggestion is dismissed.")
SUGGESTION_SNOOZED = _("The suggestion is put off.")


@require_POST
@provider_area("customers")
def suggestion_dismiss(request: HttpRequest, suggestion_id: int, *, provider) -> HttpResponse:
    suggestions.suggestion_dismiss(provider=provider, suggestion_id=suggestion_id)
    messages.success(request, SUGGESTION_DISMISSED)
    return redirect("crm:list")


@require_POST
@provider_area("customers")
def suggestion_snooze(request: HttpRequest, suggestion_id: int, *, provider) -> HttpResponse:
    act(
        request,
        lambda: suggestions.suggestion_snooze(
            provider=provider, suggestion_id=suggestion_id, days=request.POST.get("days")
        ),
        SUGGESTION_SNOOZED,
    )
    return redirect("crm:list")
