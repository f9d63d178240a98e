"""Admin settings: custom fields, users, teams, roles and their grants.

Every view is for administrators only (kith.identity.access.is_admin): anyone else gets 403,
and the services and selectors behind them check the same again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kith.core.custom_fields import custom_fields_of
from kith.core.errors import FieldError
from kith.core.models import CustomField
from kith.core.translated import languages_other
from kith.customers import services as customer_services
from kith.identity import selectors as identity_selectors
from kith.identity import services as identity_services
from kith.identity.access import MODULES, is_admin
from kith.identity.models import Right
from kith.web.forms.admin_settings import (
    CUSTOM_FIELD_MODELS,
    RIGHT_NAMES,
    SCOPE_CHOICES,
    CustomFieldForm,
    PasswordSetForm,
    RoleCreateForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    custom_field_initial,
    grants_from_post,
    user_initial,
)
from kith.web.views.errors import service_errors
from kith.web.views.lists import list_template, with_vary


def admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in administrators only; a 403 page for everyone else."""

    @login_required
    @service_errors
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied(_("Only administrators can change settings."))
        return view(request, *args, **kwargs)

    return wrapper


@admin_only
def settings_home(request: HttpRequest) -> HttpResponse:
    return redirect("settings-field-list")


# --- custom fields ------------------------------------------------------------------------


def _definition(field_id: int) -> CustomField:
    definition = CustomField.objects.filter(pk=field_id).first()
    if definition is None:
        raise Http404(_("Not found."))
    return definition


def _model_key(model: str) -> str:
    return next(key for key, (label, _name) in CUSTOM_FIELD_MODELS.items() if label == model)


@admin_only
def field_list(request: HttpRequest) -> HttpResponse:
    sections = [
        {"key": key, "name": name, "fields": custom_fields_of(model)}
        for key, (model, name) in CUSTOM_FIELD_MODELS.items()
    ]
    return render(request, "web/settings/field_list.html", {"sections": sections})


@admin_only
def field_create(request: HttpRequest) -> HttpResponse:
    model_key = request.GET.get("model", "contact")
    if model_key not in CUSTOM_FIELD_MODELS:
        raise Http404(_("Not found."))
    model, model_name = CUSTOM_FIELD_MODELS[model_key]
    form = CustomFieldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        try:
            definition = customer_services.custom_field_create(
                by=request.user,
                model=model,
                key=data["key"],
                label=data["label"],
                label_translations=data["label_translations"],
                kind=data["kind"],
                choices=data["choices"],
                required=data["required"],
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Custom field “%(label)s” created.") % {"label": definition.label}
            )
            return redirect("settings-field-list")
    context = {"form": form, "model_name": model_name, "definition": None}
    return render(request, "web/settings/field_form.html", context)


@admin_only
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    definition = _definition(field_id)
    held = customer_services.custom_field_values_count(definition=definition)
    form = CustomFieldForm(
        request.POST if request.method == "POST" else None,
        initial=custom_field_initial(definition),
        definition=definition,
        held=held,
    )
    if request.method == "POST" and form.is_valid():
        try:
            definition = customer_services.custom_field_update(
                by=request.user, field_id=definition.pk, **form.service_kwargs()
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Custom field “%(label)s” saved.") % {"label": definition.label}
            )
            return redirect("settings-field-list")
    context = {
        "form": form,
        "model_name": CUSTOM_FIELD_MODELS[_model_key(definition.model)][1],
        "definition": definition,
        "held": held,
    }
    return render(request, "web/settings/field_form.html", context)


@admin_only
def field_delete(request: HttpRequest, field_id: int) -> HttpResponse:
    definition = _definition(field_id)
    if request.method == "POST":
        removed = customer_services.custom_field_delete(by=request.user, field_id=definition.pk)
        messages.success(
            request,
            ngettext(
                "Custom field “%(label)s” deleted; %(count)d record lost its value.",
                "Custom field “%(label)s” deleted; %(count)d records lost their value.",
                removed,
            )
            % {"label": definition.label, "count": removed},
        )
        return redirect("settings-field-list")
    held = customer_services.custom_field_values_count(definition=definition)
    return render(
        request, "web/settings/field_delete.html", {"definition": definition, "held": held}
    )


# --- users --------------------------------------------------------------------------------


@admin_only
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    cursor = request.GET.get("cursor") or None
    try:
        page = identity_selectors.users_page(
            by=request.user, q=q, cursor=cursor, limit=settings.KITH_PAGE_SIZE
        )
    except FieldError:  # an old or hand-edited page link: start again
        page = identity_selectors.users_page(by=request.user, q=q, limit=settings.KITH_PAGE_SIZE)
    context = {"page": page, "users_list": page.items, "q": q}
    return with_vary(
        render(request, list_template(request, "web/settings/user_list.html"), context)
    )


@admin_only
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(
        request.POST if request.method == "POST" else None, initial={"role": "sales_rep"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = identity_services.user_create(by=request.user, **form.service_kwargs())
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("User “%(name)s” created.") % {"name": user})
            return redirect("settings-user-list")
    return render(request, "web/settings/user_form.html", {"form": form, "subject": None})


@admin_only
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    subject = identity_selectors.user_get(by=request.user, user_id=user_id)
    form = UserEditForm(
        request.POST if request.method == "POST" else None, initial=user_initial(subject)
    )
    if subject.pk == request.user.pk:
        form.fields["is_active"].disabled = True
        form.fields["is_active"].help_text = _("You cannot deactivate yourself.")
    if request.method == "POST" and form.is_valid():
        try:
            subject = identity_services.user_update(
                by=request.user, user_id=subject.pk, **form.service_kwargs()
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("User “%(name)s” saved.") % {"name": subject})
            return redirect("settings-user-list")
    return render(request, "web/settings/user_form.html", {"form": form, "subject": subject})


@admin_only
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    subject = identity_selectors.user_get(by=request.user, user_id=user_id)
    form = PasswordSetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            identity_services.user_password_set(
                by=request.user, user_id=subject.pk, password=form.cleaned_data["password"]
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("New password set for “%(name)s”.") % {"name": subject})
            return redirect("settings-user-edit", user_id=subject.pk)
    return render(request, "web/settings/user_password.html", {"form": form, "subject": subject})


# --- teams --------------------------------------------------------------------------------


@admin_only
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            team = identity_services.team_create(
                by=request.user, name=form.cleaned_data["name"], lead=form.cleaned_data["lead"]
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("settings-team-list")
    teams = identity_selectors.teams_for_admin(by=request.user)
    return render(request, "web/settings/team_list.html", {"teams": teams, "form": form})


@admin_only
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = identity_selectors.team_get(by=request.user, team_id=team_id)
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        initial={"name": team.name, "lead": team.lead_id},
    )
    if request.method == "POST" and form.is_valid():
        lead = form.cleaned_data["lead"]
        try:
            team = identity_services.team_update(
                by=request.user,
                team_id=team.pk,
                name=form.cleaned_data["name"],
                lead_id=lead.pk if lead else None,
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
            return redirect("settings-team-list")
    return render(request, "web/settings/team_form.html", {"form": form, "team": team})


# --- roles and grants ---------------------------------------------------------------------


def _grid(role: Any, posted: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One row per module: its label, scope and rights, from the role or from a refused post."""
    grants = {g.module: g for g in role.grant_list}
    rows = []
    for module, label in MODULES.items():
        grant = grants.get(module)
        if posted is not None:
            scope = posted[module]["scope"]
            rights = [(r, Right(r).label, posted[module][r]) for r in RIGHT_NAMES]
        else:
            scope = grant.scope if grant else "own"
            rights = [(r, Right(r).label, bool(grant and grant.allows(r))) for r in RIGHT_NAMES]
        rows.append({"module": module, "label": label, "scope": scope, "rights": rights})
    return rows


def _role_page(
    request: HttpRequest,
    *,
    form: RoleCreateForm,
    failed: tuple[int, dict[str, dict[str, Any]], dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    roles = []
    for role in identity_selectors.roles_with_grants(by=request.user):
        posted, errors = None, {}
        if failed is not None and failed[0] == role.pk:
            posted, errors = failed[1], failed[2]
        names = [(code, language, role.name_translations.get(code, ""))
                 for code, language in languages_other()]  # fmt: skip
        roles.append({"role": role, "rows": _grid(role, posted), "errors": errors, "names": names})
    context = {
        "roles": roles,
        "form": form,
        "scopes": SCOPE_CHOICES,
        "right_names": RIGHT_NAMES,
    }
    return render(request, "web/settings/role_list.html", context, status=status)


@admin_only
def role_list(request: HttpRequest) -> HttpResponse:
    form = RoleCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        copy_from = form.cleaned_data["copy_from"]
        try:
            role = identity_services.role_create(
                by=request.user,
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                copy_from=copy_from.slug if copy_from else "",
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Role “%(name)s” created.") % {"name": role.name})
            return redirect(f"{request.path}#role-{role.pk}")
    return _role_page(request, form=form)


@admin_only
@require_POST
def role_grants(request: HttpRequest, role_id: int) -> HttpResponse:
    role = identity_selectors.role_get(by=request.user, role_id=role_id)
    grants = grants_from_post(request.POST)
    try:
        role = identity_services.role_grants_update(
            by=request.user, role_id=role.pk, grants=grants, name=request.POST.get("name"),
            name_translations={
                code: request.POST.get(f"name_{code}", "") for code, _l in languages_other()
            },
        )  # fmt: skip
    except FieldError as exc:
        return _role_page(
            request, form=RoleCreateForm(), failed=(role.pk, grants, exc.errors), status=422
        )
    messages.success(
        request,
        _("Grants of “%(name)s” saved; its users get them on their next page.")
        % {"name": role.name},
    )
    return redirect(f"{redirect('settings-role-list').url}#role-{role.pk}")
