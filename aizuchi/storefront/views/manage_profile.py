"""The provider's own area: profile, prices and terms, standby plan."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from aizuchi.core.errors import InvalidInput
from aizuchi.core.forms import add_service_errors

from ..area import provider_area, render_manage
from ..forms import OfferingForm, ProviderProfileForm, StandbyWindowFormSet
from ..models import Offering
from ..selectors import offerings as offering_reads
from ..selectors import providers as provider_reads
from ..selectors import standby as standby_reads
from ..services import offerings as offering_services
from ..services import profile as services
from ..services import standby as standby_services

PROFILE_SAVED = _("Your profile is saved.")
OFFERING_SAVED = _("Your prices and terms are saved.")
STANDBY_SAVED = _("Your standby plan is saved.")


@require_http_methods(["GET", "POST"])
@provider_area("profile")
def manage_profile(request: HttpRequest, *, provider) -> HttpResponse:
    if request.method == "POST":
        form = ProviderProfileForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.provider_update_profile(
                    provider=provider,
                    display_name=data["display_name"],
                    concept=data["concept"],
                    description=data["description"],
                    category_slugs=data["categories"],
                    tags=data["tags"],
                    accepts_newcomers=data["accepts_newcomers"],
                    is_listed=data["is_listed"],
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, PROFILE_SAVED)
                return redirect("storefront:manage_profile")
    else:
        form = ProviderProfileForm(initial=ProviderProfileForm.initial_for(provider))
    return render_manage(
        request,
        "storefront/manage/profile.html",
        {"form": form, "concepts": provider_reads.concept_history(provider=provider)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@provider_area("offerings")
def manage_offerings(request: HttpRequest, *, provider) -> HttpResponse:
    current = {o.channel: o for o in offering_reads.offerings_for_provider(provider=provider)}
    posted = request.POST.get("channel") if request.method == "POST" else None
    if request.method == "POST" and posted not in Offering.Channel.values:
        posted = None
    forms = {}
    failed = request.method == "POST"
    for channel in Offering.Channel.values:
        if channel == posted:
            forms[channel] = OfferingForm(request.POST, prefix=channel)
        else:
            forms[channel] = OfferingForm(
                prefix=channel, initial=OfferingForm.initial_for(current.get(channel))
            )
    if posted is not None:
        form = forms[posted]
        if form.is_valid():
            data = form.cleaned_data
            try:
                offering_services.offering_save(
                    provider=provider,
                    channel=posted,
                    price_per_minute=data["price_per_minute"],
                    rounding=data["rounding"],
                    first_free_minutes=data["first_free_minutes"] or 0,
                    first_session_cap_minutes=data["first_session_cap_minutes"],
                    session_cap_minutes=data["session_cap_minutes"],
                    payment=data["payment"],
                    is_active=data["is_active"],
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, OFFERING_SAVED)
                return redirect("storefront:manage_offerings")
    sections = [
        {
            "channel": channel,
            "label": label,
            "form": forms[channel],
            "offering": current.get(channel),
            "summary": (
                offering_reads.offering_policy_summary(current[channel])
                if channel in current
                else ""
            ),
        }
        for channel, label in Offering.Channel.choices
    ]
    return render_manage(
        request,
        "storefront/manage/offerings.html",
        {"sections": sections},
        status=400 if failed else 200,
    )


WINDOW_FIELDS = ("weekday", "start_time", "minutes", "kind", "newcomers_only", "tiers_only")


def _window_initial(provider) -> list[dict]:
    return [
        {
            "weekday": w.weekday,
            "start_time": w.start_time,
            "minutes": w.minutes,
            "kind": w.kind,
            "newcomers_only": w.newcomers_only,
            "tiers_only": w.tiers_only,
        }
        for w in standby_reads.standby_plan(provider=provider)
    ]


def _standby_days(formset) -> list[tuple[int, str, list]]:
    """The rows grouped by weekday (Monday first), in the order they came."""
    groups: dict[int, list] = {day: [] for day in WEEKDAYS}
    for form in formset.forms:
        try:
            day = int(form["weekday"].value())
        except (TypeError, ValueError):
            day = 0
        groups[day if day in groups else 0].append(form)
    return [(day, WEEKDAYS[day], forms) for day, forms in groups.items()]


def _standby_with_a_blank_row(data, *, day_raw: str):
    """「枠を追加」 without JavaScript: the rows as typed so far, plus a blank one on that day.
    Nothing is saved and nothing is checked yet."""
    posted = StandbyWindowFormSet(data, prefix="windows")
    if not posted.management_form.is_valid():
        return posted
    fields = WINDOW_FIELDS
    initial = [
        {name: form[name].value() for name in fields}
        for form in posted.forms
        if form.has_changed() and not form["DELETE"].value()
    ]
    day = int(day_raw) if day_raw.isdigit() and int(day_raw) in WEEKDAYS else 0
    initial.append({"weekday": day})
    return StandbyWindowFormSet(initial=initial, prefix="windows")


@require_http_methods(["GET", "POST"])
@provider_area("standby")
def manage_standby(request: HttpRequest, *, provider) -> HttpResponse:
    plan_errors: list = []
    if request.method == "POST" and "add_day" in request.POST:
        formset = _standby_with_a_blank_row(request.POST, day_raw=request.POST["add_day"])
        failed = formset.is_bound  # a broken management form comes back as it was posted
    elif request.method == "POST":
        formset = StandbyWindowFormSet(request.POST, prefix="windows")
        if formset.is_valid():
            kept = [
                form
                for form in formset.forms
                if form.has_changed() and not form.cleaned_data.get("DELETE")
            ]
            try:
                standby_services.standby_plan_set(
                    provider=provider,
                    windows=[{k: form.cleaned_data[k] for k in WINDOW_FIELDS} for form in kept],
                )
            except InvalidInput as exc:
                for key, errors in exc.errors.items():
                    index, _sep, field = key.partition("-")
                    if index.isdigit() and int(index) < len(kept):
                        form = kept[int(index)]
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                    else:
                        plan_errors.extend(errors)
            else:
                messages.success(request, STANDBY_SAVED)
                return redirect("storefront:manage_standby")
        failed = True
    else:
        formset = StandbyWindowFormSet(initial=_window_initial(provider), prefix="windows")
        failed = False
    return render_manage(
        request,
        "storefront/manage/standby.html",
        {
            "formset": formset,
            "days": _standby_days(formset),
            "plan_errors": plan_errors,
            "provider_zone": standby_reads.zone_or_default(provider.user.time_zone).key,
        },
        status=400 if failed else 200,
    )
