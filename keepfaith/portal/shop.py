"""The shop pages: catalogue, configurator, cart, checkout, and the customer's orders.

Browsing the shop and the configurator never writes the session: prices are previewed with
a GET form and computed on the server. The cart is its own signed cookie (``cartcookie``),
set by "Add to cart"; the session starts only at log-in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.policy.trace import enforces
from keepfaith.portal.cartcookie import CartCookie
from keepfaith.portal.checkout_forms import CheckoutForm
from keepfaith.store.cart import cart_add, cart_clear, cart_priced, cart_remove, checkout_token
from keepfaith.store.catalog import Catalog, Product, text_in
from keepfaith.store.errors import CheckoutError, ShopError
from keepfaith.store.models import Order, Renewal
from keepfaith.store.outside import outside_party_go_ahead, outside_party_notice
from keepfaith.store.pricing import configuration_validate, line_price, money, order_totals
from keepfaith.store.selectors import active_catalog, order_of, orders_of
from keepfaith.store.services import order_place, renewal_pay


def _lang() -> str:
    return (get_language() or "en")[:2]


def _product_view(product: Product, lang: str, currency: str) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": text_in(product.name, lang),
        "summary": text_in(product.summary, lang),
        "from": money(product.price, currency, lang=lang),
        "per": "month" if product.period_months == 1 else "year",
        "trial_days": product.trial_days,
        "outside_party": product.outside_party,
    }


@enforces("SITE-2")
def shop(request: HttpRequest) -> HttpResponse:
    catalog, lang = active_catalog(), _lang()
    products = [_product_view(p, lang, catalog.currency) for p in catalog.products]
    return render(
        request,
        "portal/shop.html",
        {"products": products, "vat_note": text_in(catalog.vat.note, lang)},
    )


def _options_view(product: Product, chosen: dict[str, str], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "label": text_in(o.label, lang),
            "kind": o.kind,
            "min": o.min,
            "max": o.max,
            "value": chosen.get(o.id, ""),
            "choices": [(c.id, text_in(c.label, lang)) for c in o.choices],
        }
        for o in product.options
    ]


def _configurator(
    request: HttpRequest, catalog: Catalog, product: Product, data: Any, refused: str = ""
) -> HttpResponse:
    lang = _lang()
    options = {o.id: data.get(f"option_{o.id}", "") for o in product.options}
    price, error, status = None, refused, 400 if refused else 200
    try:
        configuration = configuration_validate(
            catalog,
            product_id=product.id,
            options=options,
            term_months=data.get("term", ""),
            quantity=data.get("quantity", "1") or "1",
        )
        line = line_price(catalog, configuration, lang=lang)
        price = None if refused else money(line.total_minor, catalog.currency, lang=lang)
        options = dict(configuration.options)
    except ShopError as exc:
        error, status = str(exc), 400
    context = {
        "product": _product_view(product, lang, catalog.currency),
        "options": _options_view(product, options, lang),
        "terms": [(t.months, t.discount_percent) for t in product.terms],
        "term": str(data.get("term", "") or product.terms[0].months),
        "quantity": str(data.get("quantity", "") or "1")[:3],
        "price": price,
        "error": error,
        "vat_note": text_in(catalog.vat.note, lang),
    }
    return render(request, "portal/product.html", context, status=status)


@enforces("SITE-2")
def product(request: HttpRequest, product_id: str) -> HttpResponse:
    catalog = active_catalog()
    found = catalog.product(product_id[:64])
    if found is None:
        raise Http404("there is no such product")
    return _configurator(request, catalog, found, request.GET)


def _cart_context(request: HttpRequest, catalog: Catalog) -> dict[str, Any]:
    lang = _lang()
    lines, dropped = cart_priced(CartCookie.read(request), catalog, lang=lang)
    totals = order_totals(catalog, lines)
    return {
        "lines": [
            (
                i,
                line.description,
                line.configuration.quantity,
                money(line.total_minor, catalog.currency, lang=lang),
            )
            for i, line in enumerate(lines)
        ],
        "dropped": dropped,
        "subtotal": money(totals.subtotal_minor, catalog.currency, lang=lang),
        "vat": money(totals.vat_minor, catalog.currency, lang=lang),
        "vat_rate": totals.vat_rate.normalize(),
        "total": money(totals.total_minor, catalog.currency, lang=lang),
        "total_minor": totals.total_minor,
        "vat_note": text_in(catalog.vat.note, lang),
        "priced": lines,
    }


@enforces("QS-7", "SITE-2")
def cart(request: HttpRequest) -> HttpResponse:
    catalog = active_catalog()
    if request.method == "POST":
        action = request.POST.get("action", "")
        visitor_cart = CartCookie.read(request)
        if action == "remove":
            cart_remove(visitor_cart, index=request.POST.get("line", ""))
            return visitor_cart.write(redirect(request.path))
        product = catalog.product(str(request.POST.get("product", ""))[:64])
        if product is None:
            context = _cart_context(request, catalog)
            context["error"] = "there is no such product; choose one from the shop"
            return render(request, "portal/cart.html", context, status=400)
        options = {
            key.removeprefix("option_"): value
            for key, value in request.POST.items()
            if key.startswith("option_")
        }
        try:
            cart_add(
                visitor_cart,
                catalog,
                product_id=product.id,
                options=options,
                term_months=request.POST.get("term", ""),
                quantity=request.POST.get("quantity", "1"),
            )
        except ShopError as exc:
            return _configurator(request, catalog, product, request.POST, refused=str(exc))
        return visitor_cart.write(redirect(request.path))
    return render(request, "portal/cart.html", _cart_context(request, catalog))


def _checkout_render(
    request: HttpRequest, form: CheckoutForm, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.update({"form": form, "notice": form.notice})
    return render(request, "portal/checkout.html", context, status=status)


@enforces("SITE-2", "QS-5", "BE-10")
@sensitive_post_parameters("card_number", "security_code", "expiry_month", "expiry_year")
@login_required
@sensitive_variables()
def checkout(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or user.is_staff:
        raise Http404("staff accounts do not shop")
    catalog = active_catalog()
    context = _cart_context(request, catalog)
    if not context["priced"]:
        return redirect("portal:cart")
    notice = outside_party_notice(lines=context["priced"], lang=_lang())
    needs_card = context["total_minor"] > 0
    if request.method != "POST":
        token = checkout_token(request.session)
        form = CheckoutForm(initial={"checkout_token": token}, notice=notice, needs_card=needs_card)
        return _checkout_render(request, form, context)
    form = CheckoutForm(request.POST, notice=notice, needs_card=needs_card)
    if not form.is_valid():
        return _checkout_render(request, form, context, status=400)
    try:
        order = order_place(
            customer=user,
            catalog=catalog,
            cart=[line.configuration.as_session() for line in context["priced"]],
            checkout_token=form.cleaned_data["checkout_token"],
            payment=form.cleaned_data.get("payment"),
            validation=form.validation_details(),
            go_ahead=form.go_ahead(),
        )
    except CheckoutError as exc:
        # a new attempt is a new charge: it gets a new token (the old one names the decline)
        token = checkout_token(request.session, renew=True)
        initial = {"checkout_token": token, **form.validation_details()}
        form = CheckoutForm(initial=initial, notice=notice, needs_card=needs_card)
        context["error"] = str(exc)
        return _checkout_render(request, form, context, status=400)
    visitor_cart = CartCookie.read(request)
    cart_clear(visitor_cart)
    checkout_token(request.session, renew=True)
    return visitor_cart.write(redirect("portal:order", number=order.number))


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(request, "portal/orders.html", {"orders": list(orders_of(user)[:200])})


@login_required
def order(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    found = order_of(user, number)
    if found is None:
        raise Http404("no such order")
    return _order_page(request, found)


def _order_page(
    request: HttpRequest, found: Order, *, error: str = "", status: int = 200
) -> HttpResponse:
    notice = None
    if found.outside_party and not found.go_ahead_given:
        notice = _order_notice(found.outside_party)
    lang = _lang()
    context = {
        "order": found,
        "notice": notice,
        "total": money(found.total_minor, found.currency, lang=lang),
        "subtotal": money(found.subtotal_minor, found.currency, lang=lang),
        "vat": money(found.vat_minor, found.currency, lang=lang),
        "lines": [
            (line, money(line.total_minor, found.currency, lang=lang)) for line in found.lines.all()
        ],
        "error": error,
    }
    return render(request, "portal/order.html", context, status=status)


def _order_notice(party: str) -> dict[str, Any] | None:
    from keepfaith.versions.selectors import active_policy

    policy, _ = active_policy()
    found = next((p for p in policy.recipients.outside_parties if p.key == party), None)
    if found is None:
        return None
    return {
        "name": found.name,
        "text": text_in(found.notice, _lang()),
        "categories": found.categories,
    }


@enforces("BE-10")
@require_POST
@login_required
def order_go_ahead(request: HttpRequest, number: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    found = order_of(user, number)
    if found is None:
        raise Http404("no such order")
    if request.POST.get("go_ahead") == "proceed":
        actor = Actor("customer", user.customer_number or str(user.pk))
        outside_party_go_ahead(order=found, actor=actor, source="portal")
    return redirect("portal:order", number=found.number)


@enforces("SITE-2")
@require_POST
@login_required
def renewal_renew(request: HttpRequest, number: str, renewal_id: int) -> HttpResponse:
    """Pay one of the customer's own due renewals with the card on file."""
    user = request.user
    assert isinstance(user, User)
    found = order_of(user, number)
    renewal = Renewal.objects.filter(line__order=found, pk=renewal_id).first() if found else None
    if found is None or renewal is None:
        raise Http404("no such renewal")
    actor = Actor("customer", user.customer_number or str(user.pk))
    try:
        renewal_pay(renewal=renewal, actor=actor)
    except CheckoutError as exc:
        return _order_page(request, found, error=str(exc), status=400)
    return redirect("portal:order", number=found.number)
