"""Demo data for ``keepfaith demo``: every feature adds the step that shows it off.

Each step is idempotent (running the demo twice changes nothing) and returns lines to print.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from ruamel.yaml import YAML

from keepfaith.accounts.models import User
from keepfaith.accounts.services import staff_create
from keepfaith.accounts.totp import current_code
from keepfaith.audit.models import ActorKind
from keepfaith.audit.services import Actor
from keepfaith.inforce import in_force
from keepfaith.rights.demo import demo_requests
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import PublishRefused, policy_publish, policy_publish_file

DEMO_PASSWORD = "keepfaith-demo"  # noqa: S105 - demo accounts only; the demo refuses production
DEMO_STAFF = (
    ("bob@staff.example", "Bob Support", "support"),
    ("bill@staff.example", "Bill Billing", "billing"),
    ("mia@staff.example", "Mia Marketing", "marketing"),
    ("pat@staff.example", "Pat Privacy", "privacy officer"),
    ("ada@staff.example", "Ada Admin", "administrator"),
)
DEMO_CUSTOMERS = (
    ("alice@example.com", "Alice Andersen"),
    ("carol@example.com", "Carol Christensen"),
)


def demo_totp_key(email: str) -> str:
    """A fixed TOTP key per demo staff account, so an authenticator app is set up only once."""
    return hashlib.sha256(f"keepfaith-demo-totp:{email}".encode()).hexdigest()[:40]


def demo_staff() -> list[str]:
    from keepfaith.accounts.services import staff_totp_reset

    lines = [f"Staff (password '{DEMO_PASSWORD}', second factor: `keepfaith staff code EMAIL`):"]
    for email, name, role in DEMO_STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user, _ = staff_create(
                email=email,
                password=DEMO_PASSWORD,
                roles=[role],
                full_name=name,
                actor=Actor.system("demo"),
            )
        device = user.totpdevice_set.first()  # type: ignore[attr-defined]
        if device is None or device.key != demo_totp_key(email):
            device = staff_totp_reset(
                user=user, key_hex=demo_totp_key(email), actor=Actor.system("demo")
            )
        lines.append(f"  {email:<22} {role:<16} code now: {current_code(device)}")
    return lines


def demo_customers() -> list[str]:
    lines = [f"Customers (password '{DEMO_PASSWORD}'):"]
    for email, name in DEMO_CUSTOMERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
        lines.append(f"  {email:<22} {user.customer_number}")
    return lines


def earlier_policy_text(source: str) -> str | None:
    """The demo's history: the same policy a year earlier, when raw IPs were kept 14 days and
    the campaign cookie lived a year. None when the file has no such fields to turn back."""
    yaml = YAML()
    data = yaml.load(source)
    logs = data.get("log_files")
    if not logs or "raw_ip_retention" not in logs:
        return None
    data["version"], data["effective"] = "2023.1", "2023-01-01"
    logs["raw_ip_retention"] = "14d"
    for cookie in data.get("cookies") or []:
        if not cookie.get("essential") and cookie.get("lifetime") not in (None, "session"):
            cookie["lifetime"] = "1y"
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def demo_policy() -> list[str]:
    path = Path(settings.POLICY_PATH)
    if not PolicyVersion.objects.exists():
        earlier = earlier_policy_text(path.read_text(encoding="utf-8"))
        if earlier is not None:
            policy_publish(source=earlier, source_name=f"{path} (demo: an earlier version)")
    try:
        version, _ = policy_publish_file(path=path)
    except PublishRefused as refused:  # the file was edited under the label in force
        return [
            f"Policy in force: {in_force().label}, kept: {refused}",
            "  (see /privacy/ and /privacy/updates/)",
        ]
    return [f"Policy in force: {version.label} from {path} (see /privacy/ and /privacy/updates/)"]


def demo_cookies() -> list[str]:
    registry = in_force().cookies
    essential = sorted(n for n, rule in registry.cookies.items() if rule.essential)
    optional = sorted(n for n, rule in registry.cookies.items() if not rule.essential)
    return [
        "Cookies (see /cookies/): the banner asks first; browsing sets none.",
        f"  strictly necessary: {', '.join(essential)}",
        f"  only after consent: {', '.join(optional)} (try /?utm_campaign=spring)",
        "  accept them, open /?utm_campaign=spring and sign up or order: the campaign's totals",
        "  show on /console/campaigns/ (mia); come back to / and the home page greets you",
    ]


DEMO_CONSENT = (
    # (customer e-mail, use or go-ahead key, event, source)
    ("alice@example.com", "marketing.communications.email.newsletter", "opted-out", "one-click"),
    ("alice@example.com", "analytics.reporting.campaign_insights", "given", "portal"),
    ("alice@example.com", "analytics.reporting.campaign_insights", "withdrawn", "portal"),
    ("carol@example.com", "outside_party:certificate-authority", "notice-acknowledged", "checkout"),
    ("carol@example.com", "outside_party:certificate-authority", "given", "checkout"),
    ("carol@example.com", "marketing.communications.email.partner_promotions", "given", "portal"),
    # carol ticked both opt-out mails at sign-up; alice was never asked about the product news,
    # which a Danish controller therefore does not send her
    ("carol@example.com", "marketing.communications.email", "opted-in", "signup"),
    ("carol@example.com", "marketing.communications.email.newsletter", "opted-in", "signup"),
)


def demo_consent() -> list[str]:
    """A few consent events for alice and carol (once: skipped when they have any)."""
    from keepfaith.consent.models import ConsentEvent
    from keepfaith.consent.services import ConsentError, consent_form_hash, consent_record

    now = in_force()
    lines = ["Consent ledger (see /account/consent/ and `keepfaith consent show NUMBER`):"]
    for email, key, event, source in DEMO_CONSENT:
        number = User.objects.get(email=email).subject_ref
        if not ConsentEvent.objects.filter(subject=number, key=key, event=event).exists():
            try:
                consent_record(
                    subject=number,
                    key=key,
                    event=event,
                    source=source,
                    policy=now.policy,
                    policy_version=now.version,
                    evidence={"form_hash": consent_form_hash(shown=f"demo form for {key}")},
                )
            except ConsentError as exc:  # another policy file without this use
                lines.append(f"  skipped: {exc}")
                continue
        lines.append(f"  {email:<22} {event:<19} {key}")
    return lines


def demo_token(alice: User, n: int) -> str:
    """The checkout token of alice's demo order ``n``: the processor's idempotency key. It
    names this database's alice (when she joined), so a test processor's books kept from an
    earlier database (``KEEPFAITH_PAYMENT_TEST_LEDGER``) never answer for a new one's orders."""
    return f"demo-alice-order-{n}-{int(alice.date_joined.timestamp())}"


def _demo_order(alice: User, product_id: str, n: int, *, party: bool, go_ahead: bool = True) -> str:
    from datetime import date

    from keepfaith.store.selectors import active_catalog
    from keepfaith.store.services import Payment, order_place
    from keepfaith.vault.cards import CardNumber, validate_expiry, validate_security_code

    card = CardNumber("4242 4242 4242 4242")
    payment = Payment(
        card=card,
        expiry=validate_expiry(12, date.today().year + 2),
        security_code=validate_security_code("123", card.brand),
    )
    details = {
        "name": alice.full_name,
        "email": alice.email,
        "phone": "+45 12 34 56 78",
        "organisation": "Andersen ApS",
        "address": "Nellikevej 1, 2625 Vallensbaek",
    }
    now = in_force()
    order = order_place(
        customer=alice,
        catalog=active_catalog(policy=now.policy),
        cart=[{"product": product_id, "options": {}, "quantity": 1}],
        checkout_token=demo_token(alice, n),
        payment=payment if catalog_product_priced(product_id) else None,
        validation=details if party else None,
        go_ahead=go_ahead if party else None,
        gate=now.gate(actor=Actor(ActorKind.CUSTOMER, alice.subject_ref)),
        policy=now.policy,
        version=now.version,
    )
    return f"  {order.number} {product_id:<22} {order.card_masked()}"


def demo_orders() -> list[str]:
    """Orders for alice paid with the Visa test card (one needing an outside party, if any)."""
    from keepfaith.store.selectors import active_catalog

    alice = User.objects.get(email=DEMO_CUSTOMERS[0][0])
    catalog = active_catalog(policy=in_force().policy)
    plain = next(p for p in catalog.products if not p.outside_party and p.price)
    party = next((p for p in catalog.products if p.outside_party), None)
    lines = ["Orders of alice (see /account/orders/ and, for billing staff, /console/orders/):"]
    lines.append(_demo_order(alice, plain.id, 1, party=False))
    if party is not None:
        lines.append(_demo_order(alice, party.id, 2, party=True))
    if plain.kind == "certificate":  # one the customer still sets up (names and CSR)
        lines.append(_demo_order(alice, plain.id, 3, party=False))
    if party is not None:  # still waiting for her go-ahead: she may cancel it for a refund
        waiting = _demo_order(alice, party.id, 4, party=True, go_ahead=False)
        lines.append(f"{waiting}  waits for her go-ahead: cancel it on its page for a refund")
    trial = next((p for p in catalog.products if p.trial_days), None)
    if trial is not None:  # free, no card: the order page says when it ends, how to keep it
        lines.append(f"{_demo_order(alice, trial.id, 5, party=False)}  a free trial")
    return lines


def demo_refund_failed() -> list[str]:
    """Carol's checkout that failed after her card was charged, while the payment processor
    refused the refund: billing sees it on /console/orders/ and refunds it from there."""
    from datetime import date

    from keepfaith.audit.models import AuditEntry
    from keepfaith.audit.services import audit_append
    from keepfaith.store.cart import line_configuration
    from keepfaith.store.pricing import line_price, order_totals
    from keepfaith.store.refunds import REFUND_ACTION
    from keepfaith.store.selectors import active_catalog
    from keepfaith.vault.cards import CardNumber, validate_expiry, validate_security_code
    from keepfaith.vault.gateway import PAYMENT_USE, payment_processor

    carol = User.objects.get(email=DEMO_CUSTOMERS[1][0])
    now = in_force()
    catalog = active_catalog(policy=now.policy)
    product = next(p for p in catalog.products if not p.outside_party and p.price)
    line = {"product": product.id, "options": {}, "quantity": 1}
    total = order_totals(catalog, [line_price(catalog, line_configuration(catalog, line))])
    card = CardNumber("4242 4242 4242 4242")
    charge = payment_processor(policy=now.policy).charge(
        amount_minor=total.total_minor,
        currency=catalog.currency,
        card=card,
        security_code=validate_security_code("123", card.brand),
        idempotency_key=f"demo-carol-lost-{int(carol.date_joined.timestamp())}",
        expiry=validate_expiry(12, date.today().year + 2),
    )
    done = AuditEntry.objects.filter(action=REFUND_ACTION, subject=carol.subject_ref)
    if not any(e.detail.get("charge_reference") == charge.reference for e in done):
        detail = {
            "charge_reference": charge.reference,
            "amount_minor": total.total_minor,
            "currency": catalog.currency,
        }
        for outcome, more in (
            ("queued", {}),
            ("failed", {"reason": "the payment processor did not answer (demo)"}),
        ):
            audit_append(
                actor=Actor(ActorKind.CUSTOMER, carol.subject_ref),
                action=REFUND_ACTION,
                outcome=outcome,
                subject=carol.subject_ref,
                use=PAYMENT_USE,
                clauses=["SITE-2"],
                detail={**detail, **more},
            )
    return [
        "A payment of carol's without an order, its automatic refund failed: billing refunds it",
        "  on /console/orders/ (bill or ada).",
    ]


def catalog_product_priced(product_id: str) -> bool:
    """Does the product cost anything (a free trial takes no card)?"""
    from keepfaith.store.selectors import active_catalog

    product = active_catalog(policy=in_force().policy).product(product_id)
    return product is not None and bool(product.price)


DEMO_CONTACT = (
    ("alice@example.com", {"phone": "+45 4000 1001"}),
    ("alice@example.com", {"phone": "+45 4000 2002", "full_name": "Alice B. Andersen"}),
    ("carol@example.com", {"postal_address": "Nørregade 1, 1165 København K"}),
)
DEMO_TICKETS = (
    ("alice@example.com", "Certificate chain incomplete", "Debian 12", "Firefox 128", "nginx"),
    ("carol@example.com", "Wildcard certificate not trusted", "Windows 11", "Edge 126", "IIS 10"),
)


def demo_accounts() -> list[str]:
    """Contact-detail history and a support ticket for alice and carol (once each)."""
    from keepfaith.accounts.models import ContactDetailsChange
    from keepfaith.accounts.services import contact_details_update
    from keepfaith.support.forms import SupportTicketForm
    from keepfaith.support.models import SupportTicket
    from keepfaith.support.services import support_ticket_create

    lines = ["Accounts and support (see /account/contact/, /support/, /console/support/):"]
    fresh = not ContactDetailsChange.objects.exists()
    for email, values in DEMO_CONTACT if fresh else ():
        contact_details_update(customer=User.objects.get(email=email), values=values)
    for email, summary, system, browser, software in DEMO_TICKETS:
        customer = User.objects.get(email=email)
        if not SupportTicket.objects.filter(customer=customer).exists():
            form = SupportTicketForm(subject=customer.customer_number)
            data = {
                "email": email,
                "name": customer.full_name,
                "summary": summary,
                "description": f"{summary}: seen since yesterday.",
                "operating_system": system,
                "browser": browser,
                "software_versions": software,
                "shown_policy_version": form.version_label,
            }
            form = SupportTicketForm(data=data, subject=customer.customer_number)
            if form.is_valid():
                ticket = support_ticket_create(form=form, customer=customer)
                if email == "alice@example.com":
                    _demo_support_reply(ticket)
        count = ContactDetailsChange.objects.filter(customer=customer).count()
        lines.append(f"  {email:<22} {count} contact changes, ticket: {summary}")
    lines.append(_demo_email_change())
    return lines


def _demo_support_reply(ticket: Any) -> None:
    """bob answers alice's ticket and waits for her (the notice is in var/mail/)."""
    from keepfaith.audit.models import ActorKind
    from keepfaith.audit.services import Actor
    from keepfaith.inforce import in_force
    from keepfaith.support.conversation import support_reply_staff

    bob = User.objects.get(email="bob@staff.example")
    now = in_force()
    support_reply_staff(
        ticket=ticket,
        staff=bob,
        body="Thank you. Which certificate file does nginx point at (ssl_certificate)?",
        waiting=True,
        gate=now.gate(actor=Actor(ActorKind.STAFF, bob.email)),
        language=now.language(ticket.customer.language),
    )


def _demo_email_change() -> str:
    """carol asked to log in as carol.new@example.com and has not confirmed yet."""
    from keepfaith.accounts.selectors import email_change_pending
    from keepfaith.accounts.services import email_change_request

    carol = User.objects.get(email="carol@example.com")
    if email_change_pending(customer=carol) is None:
        email_change_request(customer=carol, new_email="carol.new@example.com")
    return (
        "  carol@example.com      waits to confirm a new login address (carol.new@...): "
        "change yours on /account/contact/ for the mails under var/mail/"
    )


def demo_mail() -> list[str]:
    """A draft campaign (not sent) and one opt-out message waiting in the staff queue."""
    from keepfaith.comms.models import Campaign
    from keepfaith.comms.receiving import inbound_process, inbound_store
    from keepfaith.comms.selectors import optout_addresses
    from keepfaith.comms.services import CampaignError, campaign_create

    lines = ["Mail (see /console/campaigns/ as mia, /console/mail/queue/ as pat):"]
    now = in_force()
    if not Campaign.objects.exists():
        mia = Actor(ActorKind.STAFF, "mia@staff.example")
        try:
            campaign_create(
                kind="newsletter",
                subject="Spring newsletter",
                text="What is new this spring.",
                translations={"da": {"subject": "Forårsnyhedsbrev", "text": "Nyt i foråret."}}
                if "da" in now.policy.controller.languages[1:]
                else {},
                actor=mia,
                gate=now.gate(actor=mia),
            )
        except CampaignError as exc:  # a policy without a newsletter kind
            lines.append(f"  skipped: {exc}")
    unsubscribe, _ = optout_addresses(policy=now.policy)
    raw = (
        f"From: Someone <someone@unknown.example>\r\nTo: {unsubscribe}\r\n"
        "Subject: please stop\r\nMessage-ID: <demo-optout@unknown.example>\r\n\r\n"
        "Please stop sending me mail.\r\n"
    ).encode()
    row, created = inbound_store(raw=raw, origin="demo")
    if created:
        inbound_process(message_id=row.pk)
    lines.append("  a draft campaign 'Spring newsletter'; a message from an unknown sender queued")
    return lines


DEMO_WEBLOG_LINES = 20_000


def _demo_staff_in(roles: tuple[str, ...]) -> str:
    names = [email.split("@")[0] for email, _, role in DEMO_STAFF if role in roles]
    return ", ".join(names) or "no demo staff member"


def demo_weblog() -> list[str]:
    """A generated access log of the last week, ingested once (the file is written once)."""
    import datetime as dt

    from keepfaith.weblog.conf import weblog_config_in_force
    from keepfaith.weblog.formats import log_format
    from keepfaith.weblog.ingest import logs_ingest
    from keepfaith.weblog.sample import write_sample_log
    from keepfaith.weblog.store import WeblogStoreError

    policy = in_force().policy
    config = weblog_config_in_force(policy=policy)
    path = config.paths.root / "demo-access.log"
    if not path.exists():
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=7, hours=2)
        write_sample_log(path=path, lines=DEMO_WEBLOG_LINES, seed=11, start=start)
    try:
        done = logs_ingest(config=config, sources=[path], fmt=log_format(spec="combined"))
    except WeblogStoreError:  # a demo store from before Parquet parts: set it aside, redo
        for old in config.paths.root.glob("*.duckdb*"):
            old.rename(old.with_name(old.name + ".before-parts"))
        done = logs_ingest(config=config, sources=[path], fmt=log_format(spec="combined"))
    readers = policy.log_files.report_readers if policy.log_files else ()
    raw = policy.log_files.raw_ip_readers if policy.log_files else ()
    return [
        f"Web analytics: {path} ({done.requests} new requests ingested).",
        f"  /console/analytics/ as {_demo_staff_in(readers)}; raw addresses (kept"
        f" {config.raw_ip_retention_days} days) at /console/analytics/diagnostics/"
        f" as {_demo_staff_in(raw)}",
    ]


DEMO_PARTNER_LOG_LINES = 12_000


def demo_sharing() -> list[str]:
    """A log of last month's first week, and one release of last month to the first partner."""
    import datetime as dt

    from keepfaith.sharing.periods import last_full_month
    from keepfaith.sharing.selectors import release_exists
    from keepfaith.sharing.services import (
        ReleaseRefused,
        ReleaseRequest,
        release_create,
        sharing_where,
    )
    from keepfaith.weblog.conf import weblog_config_in_force
    from keepfaith.weblog.formats import log_format
    from keepfaith.weblog.ingest import logs_ingest
    from keepfaith.weblog.sample import write_sample_log

    now = in_force()
    partners = now.policy.recipients.partners
    if not partners:
        return ["Partner releases: the policy names no partner."]
    period = last_full_month(today=dt.date.today())
    config = weblog_config_in_force(policy=now.policy)
    path = config.paths.root / f"demo-{period.start:%Y-%m}-access.log"
    if not path.exists():
        start = dt.datetime.combine(period.start, dt.time(1), tzinfo=dt.UTC)
        write_sample_log(path=path, lines=DEMO_PARTNER_LOG_LINES, seed=13, start=start)
        logs_ingest(config=config, sources=[path], fmt=log_format(spec="combined"))
    partner = partners[0].key
    lines = ["Partner releases (see /console/sharing/ as pat or ada; `keepfaith share list`):"]
    if not release_exists(partner=partner, start=period.start, end=period.end):
        pat = Actor(ActorKind.STAFF, "pat@staff.example")
        request = ReleaseRequest(partner, period.start, period.end)
        try:
            release = release_create(request=request, policy=now.policy, gate=now.gate(actor=pat),
                                     version=now.label, actor=pat,
                                     where=sharing_where(policy=now.policy))  # fmt: skip
            lines.append(f"  {release.file_name} ({release.suppressed} figures withheld)")
        except ReleaseRefused as exc:
            lines.append(f"  refused: {exc}")
    lines.append(f"  {partner}: {period} released")
    return lines


# The certificates set up on alice's orders: (her demo order's number, names, organisation in the
# CSR, validate at once). The first is issued, the second waits for validation; a third
# order's certificate is left for the customer to set up.
DEMO_CERTS = (
    (1, ("andersen-shop.example", "www.andersen-shop.example"), "", True),
    (2, ("blog.andersen-shop.example", "www.blog.andersen-shop.example"),
     "Andersen ApS", False),
)  # fmt: skip


def _demo_csr(names: tuple[str, ...], organisation: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())  # a demo: the private key is not kept
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, names[0])]
    if organisation:
        subject.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(subject))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _demo_certificates_with(authority: Any, alice: User) -> None:
    from keepfaith.certs.models import CertState
    from keepfaith.certs.ordering import certificate_lines, certificate_setup
    from keepfaith.certs.services import validation_check
    from keepfaith.store.models import Order
    from keepfaith.store.selectors import active_catalog

    actor = Actor(ActorKind.CUSTOMER, alice.subject_ref)
    now = in_force()
    gate, catalog = now.gate(actor=actor), active_catalog(policy=now.policy)
    for n, names, organisation, validate in DEMO_CERTS:
        order = Order.objects.filter(customer=alice, checkout_token=demo_token(alice, n)).first()
        lines = certificate_lines(order=order, catalog=catalog) if order else []
        if order is None or not lines or not lines[0].open:
            continue
        certificate = certificate_setup(
            order=order, line_id=lines[0].line.pk, names=names[:1],
            csr_pem=_demo_csr(names, organisation), actor=actor, gate=gate, catalog=catalog,
            authority=authority,
        )  # fmt: skip
        # A loaded machine can leave pebble still validating when one "check now" stops
        # polling: check again, as a customer would, for up to half a minute.
        deadline = time.monotonic() + 30
        while validate and certificate.state == CertState.WAITING:
            validation_check(
                certificate=certificate, actor=actor, kind="dns-01", authority=authority,
                gate=gate,
            )  # fmt: skip
            certificate.refresh_from_db()
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)


def demo_certificates() -> list[str]:
    """Alice's certificates from Debian's pebble over ACME: one issued, one waiting for
    validation. Uses the pebble ``make run`` started, or one of its own for the demo."""
    import tempfile
    from urllib.parse import urlsplit

    from keepfaith.certs.acmeca import AcmeAuthority
    from keepfaith.certs.authorities import ca_recipient, certificate_authority
    from keepfaith.certs.models import CertificateOrder
    from keepfaith.certs.pebble import (
        PebbleProcess,
        pebble_binary,
        pebble_listening,
        pebble_prepare,
    )
    from keepfaith.store.models import Order

    alice = User.objects.get(email=DEMO_CUSTOMERS[0][0])
    tokens = [demo_token(alice, n) for n, *_ in DEMO_CERTS]
    numbers = Order.objects.filter(customer=alice, checkout_token__in=tokens)
    done = CertificateOrder.objects.filter(
        customer=alice, store_order__in=numbers.values_list("number", flat=True)
    )
    note = []
    if not done.exists():
        if settings.ACME_DIRECTORY and "127.0.0.1" in settings.ACME_DIRECTORY:
            pebble_listening(urlsplit(settings.ACME_DIRECTORY).port or 443)
            authority = certificate_authority(rulebook=in_force().rulebook)
            _demo_certificates_with(authority, alice)
        elif pebble_binary() is not None:
            with tempfile.TemporaryDirectory() as workdir:
                setup = pebble_prepare(workdir=Path(workdir))
                with PebbleProcess(setup):
                    env = setup.env()
                    authority = AcmeAuthority(
                        name=ca_recipient(rulebook=in_force().rulebook),
                        directory=setup.directory,
                        ca_bundle=str(setup.ca_bundle), eab_kid=setup.eab_kid,
                        eab_hmac_key=setup.eab_hmac_key, contact="",
                        account_key_path=Path(env["KEEPFAITH_ACME_ACCOUNT_KEY"]),
                    )  # fmt: skip
                    _demo_certificates_with(authority, alice)
            note = ["  (the demo's own pebble has stopped: 'check now' works under make run)"]
        else:
            return [
                "Certificates: skipped (Debian's pebble is not installed: apt-get install pebble)"
            ]
    lines = ["Certificates of alice from pebble over ACME (see /account/certificates/ and her "
             "orders, where one more waits to be set up):"]  # fmt: skip
    lines += [f"  {c.number} {c.get_state_display():<23} {', '.join(c.names)}" for c in done]
    return lines + note


STEPS: list[Callable[[], list[str]]] = [
    demo_policy,
    demo_staff,
    demo_customers,
    demo_consent,
    demo_accounts,
    demo_cookies,
    demo_orders,
    demo_refund_failed,
    demo_mail,
    demo_weblog,
    demo_sharing,
    demo_certificates,
    demo_requests,
]
