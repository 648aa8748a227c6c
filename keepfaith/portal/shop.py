"""The shop pages: catalogue, configurator, cart, checkout, and the customer's orders.

Browsing the shop and the configurator never writes the session: prices are computed on the
server. The product page lists every term with its price; a small self-hosted script
(``product.js``) asks ``product_price`` (a GET with the choices only, never the CSRF token)
for the prices as the choices change, and without it "Update price" posts the form back.
The cart is its own signed cookie (``cartcookie``), set by "Add to cart"; the session starts
only at log-in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from keepfaith.accounts.models import User
from keepfaith.audit.services import Actor
from keepfaith.certs.ordering import certificate_lines, certificates_place_waiting
from keepfaith.collection.forms import gate_submission
from keepfaith.comms.results import campaign_result_count
from keepfaith.consent.selectors import is_restricted
from keepfaith.cookies.consent import campaign_carried
from keepfaith.inforce import in_force
from keepfaith.policy.phrases import category_name
from keepfaith.policy.trace import enforces
from keepfaith.portal.account import customer_of
from keepfaith.portal.cartcookie import CartCookie
from keepfaith.portal.checkout_forms import CARD_FIELDS, CheckoutForm, OutsidePartyForm
from keepfaith.portal.renewals import order_renewals
from keepfaith.portal.restricted import restricted_page, restriction_refuses
from keepfaith.store.cart import (
    TOKEN_KEY,
    cart_add,
    cart_clear,
    cart_priced,
    cart_remove,
    checkout_token,
)
from keepfaith.store.catalog import Catalog, Product, text_in
from keepfaith.store.errors import CheckoutError, ShopError
from keepfaith.store.models import Order, OrderStatus, TransferStatus
from keepfaith.store.outside import (
    details_check,
    order_party_product,
    outside_party_go_ahead,
    outside_party_notice,
    product_notice,
)
from keepfaith.store.pricing import (
    configuration_validate,
    line_price,
    money,
    most_of,
    order_totals,
)
from keepfaith.store.selectors import active_catalog, order_of, orders_of
from keepfaith.store.services import order_place, stale_checkout_message


def _lang() -> str:
    return (get_language() or "en")[:2]


def _validation_name(product: Product) -> str:
    if product.validation == "domain":
        return _("Domain validation (DV)")
    if product.validation == "organisation":
        return _("Organisation validation (OV)")
    return ""


def _product_view(product: Product, lang: str, currency: str) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": text_in(product.name, lang),
        "summary": text_in(product.summary, lang),
        "purpose": text_in(product.purpose, lang) if product.purpose else "",
        "validation": _validation_name(product),
        "from": money(product.price, currency, lang=lang),
        "per": _("month") if product.period_months == 1 else _("year"),
        "trial_days": product.trial_days,
        "outside_party": product.outside_party,
    }


@enforces("SITE-2")
def shop(request: HttpRequest) -> HttpResponse:
    catalog, lang = active_catalog(policy=in_force().policy), _lang()
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


def _priced(
    catalog: Catalog, product: Product, data: Any, lang: str
) -> tuple[dict[str, str], str, dict[int, str], str]:
    """The chosen options, the line's price, each term's price with these options, and the
    error (empty when the choices are valid)."""
    options = {o.id: str(data.get(f"option_{o.id}", "")) for o in product.options}
    quantity = str(data.get("quantity", "1") or "1")
    term = str(data.get("term", "") or product.terms[0].months)
    try:
        configuration = configuration_validate(
            catalog, product_id=product.id, options=options, term_months=term, quantity=quantity
        )
        line = line_price(catalog, configuration, lang=lang)
    except ShopError as exc:
        return options, "", {}, str(exc)
    terms = {}
    for t in product.terms:
        each = configuration_validate(
            catalog,
            product_id=product.id,
            options=dict(configuration.options),
            term_months=str(t.months),
            quantity=quantity,
        )
        terms[t.months] = money(
            line_price(catalog, each, lang=lang).total_minor, catalog.currency, lang=lang
        )
    total = money(line.total_minor, catalog.currency, lang=lang)
    return dict(configuration.options), total, terms, ""


def _configurator(
    request: HttpRequest, catalog: Catalog, product: Product, data: Any, refused: str = ""
) -> HttpResponse:
    lang = _lang()
    options, price, term_prices, error = _priced(catalog, product, data, lang)
    error = refused or error
    status = 400 if error else 200
    term = str(data.get("term", "") or product.terms[0].months)
    context = {
        "product": _product_view(product, lang, catalog.currency),
        "options": _options_view(product, options, lang),
        "terms": [
            {
                "months": t.months,
                "discount": t.discount_percent,
                "price": term_prices.get(t.months, ""),
                "chosen": term == str(t.months),
            }
            for t in product.terms
        ],
        "quantity": str(data.get("quantity", "") or "1")[:3],
        "most": most_of(product),
        "price": None if refused else price,
        "error": error,
        "vat_note": text_in(catalog.vat.note, lang),
    }
    return render(request, "portal/product.html", context, status=status)


def _product_found(product_id: str) -> tuple[Catalog, Product]:
    catalog = active_catalog(policy=in_force().policy)
    found = catalog.product(product_id[:64])
    if found is None:
        raise Http404("there is no such product")
    return catalog, found


@enforces("SITE-2")
def product(request: HttpRequest, product_id: str) -> HttpResponse:
    """The configurator; a POST ("Update price" without the script) prices the choices."""
    catalog, found = _product_found(product_id)
    return _configurator(
        request, catalog, found, request.POST if request.method == "POST" else request.GET
    )


@enforces("SITE-2")
@require_GET
def product_price(request: HttpRequest, product_id: str) -> JsonResponse:
    """The prices for the choices in the query (options, term, quantity), for product.js."""
    catalog, found = _product_found(product_id)
    _, total, terms, error = _priced(catalog, found, request.GET, _lang())
    body = {"total": total, "terms": {str(k): v for k, v in terms.items()}, "error": error}
    return JsonResponse(body, status=400 if error else 200)


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
        "priced": lines,
    }


@enforces("QS-7", "SITE-2")
def cart(request: HttpRequest) -> HttpResponse:
    catalog = active_catalog(policy=in_force().policy)
    if request.method == "POST":
        action = request.POST.get("action", "")
        visitor_cart = CartCookie.read(request)
        if action == "remove":
            cart_remove(visitor_cart, index=request.POST.get("line", ""))
            return visitor_cart.write(redirect(request.path))
        product = catalog.product(str(request.POST.get("product", ""))[:64])
        if product is None:
            context = _cart_context(request, catalog)
            context["error"] = _("there is no such product; choose one from the shop")
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
    request: HttpRequest,
    form: CheckoutForm,
    party: OutsidePartyForm | None,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    context.update({"form": form, "party": party, "notice": party.party_notice if party else None})
    return render(request, "portal/checkout.html", context, status=status)


def _party_form(
    request: HttpRequest, lines: list[Any], customer: User, data: Any = None
) -> OutsidePartyForm | None:
    """The outside party's form when a product in the cart needs one (BE-10)."""
    now = in_force()
    notice = outside_party_notice(lines=lines, lang=_lang(), policy=now.policy)
    point = next(
        (line.product.collection_point for line in lines if line.product.outside_party), None
    )
    if notice is None or point is None:
        return None
    return OutsidePartyForm(data, notice=notice, point_id=point, customer=customer)


def _checkout_forms(
    request: HttpRequest, context: dict[str, Any], customer: User, data: Any = None, token: str = ""
) -> tuple[CheckoutForm, OutsidePartyForm | None]:
    needs_card = context["total_minor"] > 0
    initial = {"checkout_token": token} if token else {}
    form = CheckoutForm(data, customer=customer, needs_card=needs_card, initial=initial)
    return form, _party_form(request, context["priced"], customer, data)


@enforces("SITE-2", "QS-5", "BE-10", "QS-2", "BE-9")
@sensitive_post_parameters("card_number", "security_code", "expiry_month", "expiry_year")
@login_required
@sensitive_variables()
def checkout(request: HttpRequest) -> HttpResponse:
    """Collection point ``checkout`` (and the outside party's point): what the policy
    declares, its choices, then one order and one charge."""
    user = customer_of(request)  # staff accounts do not shop
    now = in_force()
    catalog = active_catalog(policy=now.policy)
    context = _cart_context(request, catalog)
    if not context["priced"]:
        return redirect("portal:cart")
    point = now.policy.collection_point_by_id(CheckoutForm.point_id)
    if point is not None and restriction_refuses(user, point.uses):
        return restricted_page(request, doing=_("take a new order"))
    if request.method != "POST":
        form, party = _checkout_forms(request, context, user, token=checkout_token(request.session))
        return _checkout_render(request, form, party, context)
    form, party = _checkout_forms(request, context, user, data=request.POST)
    if not form.is_valid() or (party is not None and not party.is_valid()):
        if "checkout_token" in form.errors:  # a hidden field: say it, and give a fresh one
            context["error"] = stale_checkout_message()
            data = request.POST.copy()
            data["checkout_token"] = checkout_token(request.session, renew=True)
            form, party = _checkout_forms(request, context, user, data=data)
            form.is_valid()
        return _checkout_render(request, form, party, context, status=400)
    actor = Actor("customer", user.subject_ref)
    try:
        if not _token_current(request, user, form.cleaned_data["checkout_token"]):
            raise CheckoutError(stale_checkout_message())
        order = _place(form, party, context, user, actor, catalog)
    except CheckoutError as exc:
        # a new attempt is a new charge: it gets a new token (the old one names the decline)
        token = checkout_token(request.session, renew=True)
        data = request.POST.copy()
        data["checkout_token"] = token
        for name in CARD_FIELDS:
            data.pop(name, None)
        form, party = _checkout_forms(request, context, user, data=data, token=token)
        form.is_valid()
        form.errors.clear()  # only the card is missing now: the decline says why
        context["error"] = str(exc)
        return _checkout_render(request, form, party, context, status=400)
    if (code := campaign_carried(request)) is not None:
        campaign_result_count(code=code, result="orders")
    visitor_cart = CartCookie.read(request)
    cart_clear(visitor_cart)
    checkout_token(request.session, renew=True)
    return visitor_cart.write(redirect("portal:order_thanks", number=order.number))


def _token_current(request: HttpRequest, user: User, token: str) -> bool:
    """Is ``token`` the one this session was given for its checkout, or one of this customer's
    orders (the same checkout submitted again after it went through)? Any other (made up,
    another session's) could name someone else's order: nothing is charged for it."""
    return token == request.session.get(TOKEN_KEY) or (
        Order.objects.filter(checkout_token=token, customer=user).exists()
    )


@sensitive_variables()
def _place(
    form: CheckoutForm,
    party: OutsidePartyForm | None,
    context: dict[str, Any],
    user: User,
    actor: Actor,
    catalog: Catalog,
) -> Order:
    """Ask the gate for what the forms store, then place the order; the forms' consent
    records are written in the order's transaction."""
    now = form.in_force
    subject = user.subject_ref
    gate_submission(form, actor=actor, subject=subject)
    if party is not None:
        gate_submission(party, actor=actor, subject=subject)

    def record(order: Order) -> None:
        for submitted in (form, party):
            if submitted is not None:
                submitted.save_consent(
                    subject=subject, actor=actor, evidence={"order": order.number}
                )

    return order_place(
        customer=user,
        catalog=catalog,
        cart=[line.configuration.as_session() for line in context["priced"]],
        checkout_token=form.cleaned_data["checkout_token"],
        payment=form.cleaned_data.get("payment"),
        validation=party.validation_details() if party else None,
        go_ahead=party.go_ahead_chosen() if party else None,
        billing=form.billing(),
        on_write=record,
        gate=now.gate(actor=actor),
        policy=now.policy,
        version=now.version,
    )


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    user = customer_of(request)
    return render(request, "portal/orders.html", {"orders": list(orders_of(user)[:200])})


@login_required
def order(request: HttpRequest, number: str) -> HttpResponse:
    user = customer_of(request)
    found = order_of(user, number)
    if found is None:
        raise Http404("no such order")
    return _order_page(request, found)


def _order_page(
    request: HttpRequest,
    found: Order,
    *,
    error: str = "",
    status: int = 200,
    party: OutsidePartyForm | None = None,
) -> HttpResponse:
    notice, restricted = None, False
    lang = _lang()
    catalog = active_catalog(policy=in_force().policy)
    if found.outside_party and not found.go_ahead_given:
        notice = _order_notice(found.outside_party)
        if party is None and found.status == OrderStatus.WAITING:
            party = _order_party_form(found, customer_of(request), catalog)
        if party is not None and restriction_refuses(found.customer, party.point.uses):
            party, restricted = None, True
    lines = list(found.lines.all())
    entries = certificate_lines(order=found, catalog=catalog)
    context = {
        "order": found,
        "notice": notice,
        "total": money(found.total_minor, found.currency, lang=lang),
        "subtotal": money(found.subtotal_minor, found.currency, lang=lang),
        "vat": money(found.vat_minor, found.currency, lang=lang),
        "refunded": money(found.refunded_minor, found.currency, lang=lang),
        "lines": [(line, money(line.total_minor, found.currency, lang=lang)) for line in lines],
        "renewals": order_renewals(order=found, lang=lang),
        "certificate_lines": entries,
        "transfers": _transfers_in_words(found),
        "party": party,
        "restricted": restricted,
        "error": error,
    }
    return render(request, "portal/order.html", context, status=status)


def _order_party_form(
    found: Order, customer: User, catalog: Catalog, data: Any = None
) -> OutsidePartyForm | None:
    """The details a waiting order's outside party needs, starting from what the order kept
    (the customer may have left them out with "Not now") and then the account."""
    product = order_party_product(found, catalog=catalog)
    notice = product_notice(product, lang=_lang(), policy=in_force().policy)
    point = product.collection_point if product is not None else None
    if notice is None or point is None:
        return None
    initial = {key: value for key, value in found.validation_details.items() if value}
    return OutsidePartyForm(data, notice=notice, point_id=point, customer=customer, initial=initial)


def _transfers_in_words(found: Order) -> list[str]:
    """Where each transfer to the order's outside party stands, as a sentence; a queued one
    says why it waits when the customer's restriction holds it (the gate refuses to send)."""
    restricted = is_restricted(subject=found.customer.subject_ref)
    said = []
    for transfer in found.transfers.all():
        if transfer.status == TransferStatus.SENT and transfer.sent_at is not None:
            when = date_format(localtime(transfer.sent_at), "DATETIME_FORMAT")
            said.append(_("Your details were sent on %(when)s.") % {"when": when})
        elif restricted:
            said.append(
                _(
                    "Your details have not been sent: you asked us to restrict the use of "
                    "your data, so nothing is sent while the restriction holds."
                )
            )
        else:
            said.append(
                _(
                    "Your details have not been sent yet: they go with the certificate's order "
                    "once you have set the certificate up, and we try again every day if the "
                    "certificate authority cannot be reached."
                )
            )
    return said


def _order_notice(party: str) -> dict[str, Any] | None:
    policy = in_force().policy
    found = next((p for p in policy.recipients.outside_parties if p.key == party), None)
    if found is None:
        return None
    declared = {e.key: text_in(e.name, _lang()) for e in policy.taxonomy.data_categories}
    return {
        "name": text_in(found.name, _lang()),
        "text": text_in(found.notice, _lang()),
        "categories": [category_name(key, _lang(), declared=declared) for key in found.categories],
    }


@enforces("BE-10")
@require_POST
@login_required
def order_go_ahead(request: HttpRequest, number: str) -> HttpResponse:
    user = customer_of(request)
    found = order_of(user, number)
    if found is None:
        raise Http404("no such order")
    if request.POST.get("go_ahead") != "proceed" or found.status != OrderStatus.WAITING:
        return redirect("portal:order", number=found.number)
    now = in_force()
    catalog = active_catalog(policy=now.policy)
    party = _order_party_form(found, user, catalog, data=request.POST)
    if party is not None and restriction_refuses(user, party.point.uses):
        return restricted_page(request, doing=_("send your details for this order"))
    if party is None or not party.is_valid():
        return _order_page(request, found, party=party, status=400)
    actor = Actor("customer", user.subject_ref)
    try:
        details = details_check(party.party_notice, party.validation_details())
    except CheckoutError as exc:
        return _order_page(request, found, party=party, error=str(exc), status=400)
    gate_submission(party, actor=actor, subject=user.subject_ref)
    with transaction.atomic():
        # a second click (or tab) that read the order while it waited records nothing: the
        # first one's details and consent stand
        locked = Order.objects.select_for_update().get(pk=found.pk)
        if locked.status != OrderStatus.WAITING:
            return redirect("portal:order", number=found.number)
        party.save_consent(subject=user.subject_ref, actor=actor, evidence={"order": found.number})
        outside_party_go_ahead(
            order=locked,
            actor=actor,
            policy=now.policy,
            version=now.version,
            source="portal",
            details=details,
        )
    found.refresh_from_db()
    certificates_place_waiting(order=found, actor=actor, gate=now.gate(actor=actor))
    return redirect("portal:order", number=found.number)
