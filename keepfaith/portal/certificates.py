"""The customer's certificates (SITE-2): setting up a certificate bought in the shop (names
and CSR), list, detail with the challenges to publish and a "check now" button, reissue
with a new CSR, revocation, and downloads of the certificate, chain and full chain.
Signed-in customers see only their own orders and certificates; any other number is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.certs.authorities import AuthorityError
from keepfaith.certs.forms import CertificateSetupForm, ReissueForm
from keepfaith.certs.inputs import InputError
from keepfaith.certs.models import CertificateOrder, CertState
from keepfaith.certs.ordering import (
    certificate_lines,
    certificate_reissue,
    certificate_setup,
    certificates_to_set_up,
)
from keepfaith.certs.products import NamesError
from keepfaith.certs.selectors import (
    certificate_of_customer,
    certificates_of_customer,
    challenges_for,
    names_state,
)
from keepfaith.certs.services import CertificateError, certificate_revoke, validation_check
from keepfaith.gate import PolicyViolation
from keepfaith.inforce import in_force
from keepfaith.policy.trace import enforces
from keepfaith.portal.account import customer_of
from keepfaith.store.selectors import active_catalog, order_of

DOWNLOADS = {"certificate": "certificate_pem", "chain": "chain_pem", "fullchain": "fullchain_pem"}


def _own(request: HttpRequest, number: str) -> CertificateOrder:
    certificate = certificate_of_customer(customer=customer_of(request), number=number)
    if certificate is None:
        raise Http404("no such certificate")
    return certificate


@enforces("SITE-2")
@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    context = {
        "certificates": certificates_of_customer(customer=customer)[:100],
        "to_set_up": certificates_to_set_up(
            customer=customer, catalog=active_catalog(policy=in_force().policy)
        ),
    }
    return render(request, "certs/account_list.html", context)


@enforces("SITE-2", "BE-10")
@login_required
@require_http_methods(["GET", "POST"])
def certificate_setup_page(request: HttpRequest, number: str, line: int) -> HttpResponse:
    """Set up a certificate bought with order ``number``: the names and the CSR."""
    customer = customer_of(request)
    order = order_of(customer, number)
    now = in_force()
    catalog = active_catalog(policy=now.policy)
    lines = certificate_lines(order=order, catalog=catalog) if order is not None else []
    entry = next((c for c in lines if c.place == line), None)
    if order is None or entry is None:
        raise Http404("no such certificate line")
    form = CertificateSetupForm(request.POST or None, request.FILES or None)
    context = {"order": order, "entry": entry, "form": form, "findings": ()}
    if request.method == "POST" and form.is_valid():
        actor = Actor(ActorKind.CUSTOMER, customer.subject_ref)
        try:
            certificate = certificate_setup(
                order=order, line_id=entry.line.pk, names=form.name_list(),
                csr_pem=form.cleaned_data["csr_bytes"], actor=actor,
                gate=now.gate(actor=actor), catalog=catalog,
            )  # fmt: skip
        except NamesError as exc:
            form.add_error("names", str(exc))
        except InputError as exc:
            form.add_error("csr", str(exc))
        except CertificateError as exc:
            # the findings are listed one by one below: the lead only points at them
            lead = _("The certificate signing request has problems, listed below.")
            form.add_error(None, lead if exc.findings else str(exc))
            context["findings"] = exc.findings
        else:
            messages.success(request, _setup_message(certificate, order.go_ahead_given))
            return redirect("portal:certificate", number=certificate.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "certs/setup.html", context, status=status)


def _setup_message(certificate: CertificateOrder, go_ahead: bool) -> str:
    if certificate.state == CertState.WAITING:
        return _("Your certificate is ordered. Prove that you control the names below.")
    if certificate.state == CertState.ISSUED:
        return _("Your certificate is issued.")
    if certificate.organisation_validated and not go_ahead:
        return _(
            "Your certificate is set up. It goes to the certificate authority once you give "
            "the go-ahead on the order."
        )
    return _(
        "Your certificate is set up, but the certificate authority could not be reached. We "
        "send the order again shortly; you need not do anything."
    )


@enforces("SITE-2")
@login_required
def certificate_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail_page(request, _own(request, number))


def _detail_page(
    request: HttpRequest, certificate: CertificateOrder, *, reissue: ReissueForm | None = None
) -> HttpResponse:
    """The certificate's page; after a reissue that failed, with the pasted request kept."""
    context = {
        "certificate": certificate,
        "reissue_form": reissue or ReissueForm(),
        "challenges": challenges_for(certificate=certificate),
        "names_state": names_state(certificate=certificate),
    }
    status = 400 if reissue is not None else 200
    return render(request, "certs/account_detail.html", context, status=status)


@enforces("SITE-2")
@login_required
@require_http_methods(["POST"])
def certificate_check(request: HttpRequest, number: str) -> HttpResponse:
    certificate = _own(request, number)
    kind = "dns-01" if request.POST.get("kind") == "dns-01" else "http-01"
    actor = Actor(ActorKind.CUSTOMER, certificate.customer.subject_ref)
    try:
        gate = in_force().gate(actor=actor)
        checked = validation_check(certificate=certificate, actor=actor, kind=kind, gate=gate)
    except (AuthorityError, CertificateError, PolicyViolation) as exc:
        messages.error(request, _("The check did not go through: %(why)s") % {"why": exc})
    else:  # say what the check found: the page alone may look the same as before
        if checked.state == CertState.ISSUED:
            messages.success(request, _("Every name is validated: your certificate is issued."))
        elif checked.state == CertState.FAILED:
            messages.error(request, _("The certificate authority could not validate every name."))
        else:
            messages.info(
                request,
                _(
                    "Not validated yet: the certificate authority cannot see every record yet. "
                    "A new DNS record can take some minutes to be seen; check again later."
                ),
            )
    return redirect("portal:certificate", number=certificate.number)


@enforces("SITE-2", "BE-10")
@login_required
@require_http_methods(["POST"])
def certificate_revoke_request(request: HttpRequest, number: str) -> HttpResponse:
    """Revoke on the customer's request (e.g. the key was compromised)."""
    certificate = _own(request, number)
    try:
        reason = int(request.POST.get("reason", "0"))
    except ValueError:
        reason = -1
    actor = Actor(ActorKind.CUSTOMER, certificate.customer.subject_ref)
    try:
        gate = in_force().gate(actor=actor)
        certificate_revoke(certificate=certificate, actor=actor, reason=reason, gate=gate)
    except (AuthorityError, CertificateError, PolicyViolation) as exc:
        messages.error(request, _("The certificate was not revoked: %(why)s") % {"why": exc})
    else:
        messages.success(request, _("The certificate is revoked."))
    return redirect("portal:certificate", number=certificate.number)


@enforces("SITE-2")
@login_required
@require_http_methods(["POST"])
def certificate_reissue_request(request: HttpRequest, number: str) -> HttpResponse:
    """A new certificate for the same names with a new CSR (e.g. a new key)."""
    certificate = _own(request, number)
    form = ReissueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Paste the new certificate signing request."))
        return _detail_page(request, certificate, reissue=form)
    actor = Actor(ActorKind.CUSTOMER, certificate.customer.subject_ref)
    try:
        new = certificate_reissue(
            certificate=certificate, csr_pem=form.cleaned_data["csr"], actor=actor,
            gate=in_force().gate(actor=actor),
        )  # fmt: skip
    except (InputError, CertificateError, AuthorityError, PolicyViolation) as exc:
        messages.error(request, _("The certificate was not reissued: %(why)s") % {"why": exc})
        return _detail_page(request, certificate, reissue=form)
    messages.success(request, _("A new certificate is ordered with your new request."))
    return redirect("portal:certificate", number=new.number)


@enforces("SITE-2")
@login_required
def certificate_download(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    certificate = _own(request, number)
    field = DOWNLOADS.get(kind)
    if field is None or not certificate.certificate_pem:
        raise Http404("no such download")
    response = HttpResponse(getattr(certificate, field), content_type="application/x-pem-file")
    filename = f"{certificate.names[0].replace('*', 'wildcard')}-{kind}.pem"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
