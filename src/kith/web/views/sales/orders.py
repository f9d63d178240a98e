"""Products, orders (list, a customer's order history, detail, create) and the sales panels of
the contact and company pages."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kith.core.audit import history_for
from kith.core.errors import FieldError, StaleEdit
from kith.customers import selectors as customer_selectors
from kith.identity.access import is_admin, require
from kith.sales import selectors, services
from kith.sales.models import Channel, Order, Product
from kith.sales.money import minor_digits, money_format, money_parse
from kith.web.forms.sales import OrderForm, OrderLineRow, ProductForm
from kith.web.views.errors import service_errors
from kith.web.views.history import history_rows
from kith.web.views.lists import list_template, with_vary


@login_required
@service_errors
def product_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    try:
        page = selectors.products_list(
            user=request.user, q=q, cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )  # fmt: skip
    except FieldError:
        page = selectors.products_list(user=request.user, q=q, limit=settings.KITH_PAGE_SIZE)
    context = {"page": page, "products": page.items, "q": q}
    return with_vary(
        render(request, list_template(request, "web/sales/product_list.html"), context)
    )


@login_required
@service_errors
def product_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "products", "create")
    form = ProductForm(request.POST or None, initial={"currency": "USD", "is_active": True})
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        if form.is_valid():
            try:
                services.product_create(by=request.user, **kwargs)
            except FieldError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Product created."))
                return redirect("product-list")
    return render(request, "web/sales/product_form.html", {"form": form, "product": None})


@login_required
@service_errors
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, product_id=product_id)
    require(request.user, "products", "edit")
    digits = minor_digits(product.currency)
    initial = {
        "sku": product.sku, "name": product.name, "category": product.category,
        "price": f"{product.price_minor / 10**digits:.{digits}f}", "currency": product.currency,
        "is_active": product.is_active,
    }  # fmt: skip
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        if form.is_valid():
            try:
                services.product_update(by=request.user, product_id=product.pk, **kwargs)
            except FieldError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Product saved."))
                return redirect("product-list")
    return render(request, "web/sales/product_form.html", {"form": form, "product": product})


@login_required
@service_errors
def exchange_rates(request: HttpRequest) -> HttpResponse:
    """The exchange rates orders convert catalogue prices with; admins add one here."""
    errors: dict[str, str] = {}
    values = {"currency": "USD", "base": "", "rate": "", "day": timezone.localdate().isoformat()}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            day = date.fromisoformat(values["day"])
        except ValueError:
            errors["day"] = _("Enter a date such as 2026-12-01.")
        if not errors:
            try:
                services.exchange_rate_set(
                    by=request.user, currency=values["currency"], base=values["base"],
                    rate=values["rate"], day=day,
                )  # fmt: skip
            except FieldError as exc:
                errors = dict(exc.errors)
            else:
                messages.success(request, _("Exchange rate saved."))
                return redirect("exchange-rates")
    try:
        page = selectors.exchange_rates_list(
            user=request.user, cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )  # fmt: skip
    except FieldError:
        page = selectors.exchange_rates_list(user=request.user, limit=settings.KITH_PAGE_SIZE)
    context = {"page": page, "rates": page.items, "values": values, "errors": errors,
               "can_edit": is_admin(request.user)}  # fmt: skip
    return render(request, "web/sales/exchange_rates.html", context, status=400 if errors else 200)


@login_required
@service_errors
def order_list(request: HttpRequest) -> HttpResponse:
    contact_id = request.GET.get("contact", "")
    status = request.GET.get("status", "")
    contact = None
    if contact_id.isdigit():
        contact = customer_selectors.contact_get(user=request.user, contact_id=int(contact_id))
    filters = selectors.OrderFilters(
        contact_id=contact.pk if contact else None,
        status=status if status in Order.Status.values else "",
    )
    try:
        page = selectors.orders_list(
            user=request.user, filters=filters, cursor=request.GET.get("cursor") or None,
            limit=settings.KITH_PAGE_SIZE,
        )  # fmt: skip
    except FieldError:
        page = selectors.orders_list(
            user=request.user, filters=filters, limit=settings.KITH_PAGE_SIZE
        )
    context = {"page": page, "orders": page.items, "contact": contact, "filters": request.GET,
               "statuses": Order.Status.choices}  # fmt: skip
    return with_vary(render(request, list_template(request, "web/sales/order_list.html"), context))


@login_required
@service_errors
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, order_id=order_id)
    lines = [
        (line, money_format(line.unit_price_minor, order.currency),
         money_format(line.total_minor, order.currency))
        for line in order.lines.all()
    ]  # fmt: skip
    history = history_for(model="sales.order", object_id=order.pk)
    context = {
        "order": order,
        "lines": lines,
        "history": history_rows(history, model=Order, custom_fields=[]),
        "next_statuses": [(s, Order.Status(s).label) for s in order.next_statuses()],
        "refund_left": money_format(order.kept_minor, order.currency),
    }
    return render(request, "web/sales/order_detail.html", context)


@login_required
@require_POST
@service_errors
def order_status(request: HttpRequest, order_id: int) -> HttpResponse:
    """Move an order (pay, fulfil, cancel or refund with a reason; a partial refund amount)."""
    order = selectors.order_get(user=request.user, order_id=order_id)
    status = request.POST.get("status", "")
    amount = request.POST.get("refund_amount", "").strip()
    try:
        refund = money_parse(amount, order.currency) if amount else None
    except ValueError:
        messages.error(request, _("Enter an amount such as 1250 or 1,250.50."))
        return redirect("order-detail", order_id=order.pk)
    try:
        services.order_status_set(
            by=request.user, order_id=order.pk, status=status,
            version=_int(request.POST.get("version")), reason=request.POST.get("reason", ""),
            refund_minor=refund,
        )  # fmt: skip
    except StaleEdit as exc:
        messages.error(request, str(exc))
    except FieldError as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(request, _("Order saved."))
    return redirect("order-detail", order_id=order.pk)


@login_required
@service_errors
def order_edit(request: HttpRequest, order_id: int) -> HttpResponse:
    """Change an order that is not fulfilled yet: customer, date, channel, currency, lines."""
    order = selectors.order_get(user=request.user, order_id=order_id)
    require(request.user, "orders", "edit", record=order)
    posted = request.method == "POST"
    contact_id = request.POST.get("contact_id") if posted else str(order.contact_id)
    chosen = selectors.deal_choices(
        user=request.user, contact_ids=[int(contact_id)] if str(contact_id).isdigit() else []
    ).contacts
    digits = minor_digits(order.currency)
    initial = {
        "contact_id": order.contact_id, "ordered_at": order.ordered_at, "channel": order.channel,
        "currency": order.currency, "number": order.number, "version": order.version,
    }  # fmt: skip
    rows = [
        OrderLineRow(product_id=str(line.product_id), quantity=str(line.quantity),
                     unit_price=f"{line.unit_price_minor / 10**digits:.{digits}f}")
        for line in order.lines.all()
    ]  # fmt: skip
    form = OrderForm(
        request.POST if posted else None, initial=initial,
        contact=chosen[0] if chosen else None, editing=True, rows=rows,
    )  # fmt: skip
    if not order.is_editable:
        messages.error(request, _("A fulfilled, cancelled or refunded order cannot be changed."))
        return redirect("order-detail", order_id=order.pk)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.order_update(
                by=request.user, order_id=order.pk, version=data["version"],
                contact_id=data["contact_id"], ordered_at=data["ordered_at"],
                channel=data["channel"], currency=data["currency"].upper(),
                number=data["number"], lines=form.line_inputs,
            )  # fmt: skip
        except StaleEdit as exc:
            form.add_error(None, str(exc))
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Order saved."))
            return redirect("order-detail", order_id=order.pk)
    context = {"form": form, "products": _order_products(), "rows": form.rows, "order": order}
    return render(request, "web/sales/order_form.html", context)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _order_products() -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("name", "id")[:500])


@login_required
@service_errors
def order_create(request: HttpRequest) -> HttpResponse:
    """An order with several lines; "Add line" asks for one more row (htmx)."""
    require(request.user, "orders", "create")
    posted = request.method == "POST"
    contact_id = request.POST.get("contact_id") if posted else request.GET.get("contact")
    chosen = selectors.deal_choices(
        user=request.user, contact_ids=[int(contact_id)] if str(contact_id).isdigit() else []
    ).contacts
    initial = {"contact_id": chosen[0].pk if chosen else None, "channel": Channel.PHONE,
               "status": "paid", "currency": "USD"}  # fmt: skip
    form = OrderForm(
        request.POST if posted else None, initial=initial, contact=chosen[0] if chosen else None
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(
                by=request.user,
                contact_id=data["contact_id"],
                ordered_at=data["ordered_at"],
                status=data["status"],
                channel=data["channel"],
                currency=data["currency"].upper(),
                number=data["number"],
                lines=form.line_inputs,
            )
        except FieldError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Order created."))
            return redirect("order-detail", order_id=order.pk)
    context = {"form": form, "products": _order_products(), "rows": form.rows}
    return render(request, "web/sales/order_form.html", context)


@login_required
def order_line_row(request: HttpRequest) -> HttpResponse:
    """One more empty line for the order form."""
    require(request.user, "orders", "create")
    context = {"row": OrderLineRow(), "products": _order_products()}
    return render(request, "web/sales/_order_line.html", context)


@login_required
@service_errors
def contact_sales_panel(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, contact_id=contact_id)
    panel = selectors.contact_sales_panel(user=request.user, contact=contact)
    context = {"panel": panel, "contact": contact}
    return render(request, "web/sales/panel.html", context)


@login_required
@service_errors
def company_sales_panel(request: HttpRequest, company_id: int) -> HttpResponse:
    company = customer_selectors.company_get(user=request.user, company_id=company_id)
    panel = selectors.company_sales_panel(user=request.user, company_id=company.pk)
    return render(request, "web/sales/panel.html", {"panel": panel, "company": company})
