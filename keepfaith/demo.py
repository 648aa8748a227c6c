"""Demo data for ``keepfaith demo``: every feature adds the step that shows it off.

Each step is idempotent (running the demo twice changes nothing) and returns lines to print.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from ruamel.yaml import YAML

from keepfaith.accounts.models import User
from keepfaith.accounts.services import staff_create
from keepfaith.accounts.totp import current_code
from keepfaith.versions.models import PolicyVersion
from keepfaith.versions.services import policy_publish, policy_publish_file

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
                email=email, password=DEMO_PASSWORD, roles=[role], full_name=name
            )
        device = user.totpdevice_set.first()  # type: ignore[attr-defined]
        if device is None or device.key != demo_totp_key(email):
            device = staff_totp_reset(user=user, key_hex=demo_totp_key(email))
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
    version, _ = policy_publish_file(path=path)
    return [f"Policy in force: {version.label} from {path} (see /privacy/ and /privacy/updates/)"]


def demo_cookies() -> list[str]:
    from keepfaith.cookies.middleware import registry_in_force

    registry = registry_in_force()
    essential = sorted(n for n, rule in registry.cookies.items() if rule.essential)
    optional = sorted(n for n, rule in registry.cookies.items() if not rule.essential)
    return [
        "Cookies (see /cookies/): the banner asks first; browsing sets none.",
        f"  strictly necessary: {', '.join(essential)}",
        f"  only after consent: {', '.join(optional)} (try /?utm_campaign=spring)",
    ]


DEMO_CONSENT = (
    # (customer e-mail, use or go-ahead key, event, source)
    ("alice@example.com", "marketing.communications.email.newsletter", "opted-out", "one-click"),
    ("alice@example.com", "analytics.reporting.campaign_insights", "given", "portal"),
    ("alice@example.com", "analytics.reporting.campaign_insights", "withdrawn", "portal"),
    ("carol@example.com", "outside_party:certificate-authority", "notice-acknowledged", "checkout"),
    ("carol@example.com", "outside_party:certificate-authority", "given", "checkout"),
    ("carol@example.com", "marketing.communications.email.partner_promotions", "given", "portal"),
)


def demo_consent() -> list[str]:
    """A few consent events for alice and carol (once: skipped when they have any)."""
    from keepfaith.consent.models import ConsentEvent
    from keepfaith.consent.services import ConsentError, consent_form_hash, consent_record
    from keepfaith.versions.selectors import active_version

    version = active_version()
    lines = ["Consent ledger (see /account/consent/ and `keepfaith consent show NUMBER`):"]
    for email, key, event, source in DEMO_CONSENT:
        number = User.objects.get(email=email).customer_number or ""
        if not ConsentEvent.objects.filter(subject=number, key=key, event=event).exists():
            try:
                consent_record(
                    subject=number,
                    key=key,
                    event=event,
                    source=source,
                    policy_version=version,
                    evidence={"form_hash": consent_form_hash(shown=f"demo form for {key}")},
                )
            except ConsentError as exc:  # another policy file without this use
                lines.append(f"  skipped: {exc}")
                continue
        lines.append(f"  {email:<22} {event:<19} {key}")
    return lines


def _demo_order(alice: User, product_id: str, token: str, *, party: bool) -> str:
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
    order = order_place(
        customer=alice,
        catalog=active_catalog(),
        cart=[{"product": product_id, "options": {}, "quantity": 1}],
        checkout_token=token,
        payment=payment,
        validation=details if party else None,
        go_ahead=True if party else None,
    )
    return f"  {order.number} {product_id:<22} {order.card_masked()}"


def demo_orders() -> list[str]:
    """Orders for alice paid with the Visa test card (one needing an outside party, if any)."""
    from keepfaith.store.selectors import active_catalog

    alice = User.objects.get(email=DEMO_CUSTOMERS[0][0])
    catalog = active_catalog()
    plain = next(p for p in catalog.products if not p.outside_party and p.price)
    party = next((p for p in catalog.products if p.outside_party), None)
    lines = ["Orders of alice (see /account/orders/ and, for billing staff, /console/orders/):"]
    lines.append(_demo_order(alice, plain.id, "demo-alice-order-1", party=False))
    if party is not None:
        lines.append(_demo_order(alice, party.id, "demo-alice-order-2", party=True))
    return lines


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
                support_ticket_create(form=form, customer=customer)
        count = ContactDetailsChange.objects.filter(customer=customer).count()
        lines.append(f"  {email:<22} {count} contact changes, ticket: {summary}")
    return lines


def demo_mail() -> list[str]:
    """A draft campaign (not sent) and one opt-out message waiting in the staff queue."""
    from keepfaith.audit.models import ActorKind
    from keepfaith.audit.services import Actor
    from keepfaith.comms.models import Campaign
    from keepfaith.comms.receiving import inbound_process, inbound_store
    from keepfaith.comms.selectors import optout_addresses
    from keepfaith.comms.services import CampaignError, campaign_create

    lines = ["Mail (see /console/campaigns/ as mia, /console/mail/queue/ as pat):"]
    if not Campaign.objects.exists():
        try:
            campaign_create(
                kind="newsletter",
                subject="Spring newsletter",
                text="What is new this spring.",
                actor=Actor(ActorKind.STAFF, "mia@staff.example"),
            )
        except CampaignError as exc:  # a policy without a newsletter kind
            lines.append(f"  skipped: {exc}")
    unsubscribe, _ = optout_addresses()
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

    from keepfaith.versions.selectors import active_policy
    from keepfaith.weblog.conf import weblog_config_in_force
    from keepfaith.weblog.formats import log_format
    from keepfaith.weblog.ingest import logs_ingest
    from keepfaith.weblog.sample import write_sample_log
    from keepfaith.weblog.store import WeblogStoreError

    config = weblog_config_in_force()
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
    policy, _ = active_policy()
    readers = policy.log_files.report_readers if policy.log_files else ()
    raw = policy.log_files.raw_ip_readers if policy.log_files else ()
    return [
        f"Web analytics: {path} ({done.requests} new requests ingested).",
        f"  /console/analytics/ as {_demo_staff_in(readers)}; raw addresses (kept"
        f" {config.raw_ip_retention_days} days) at /console/analytics/diagnostics/"
        f" as {_demo_staff_in(raw)}",
    ]


STEPS: list[Callable[[], list[str]]] = [
    demo_policy,
    demo_staff,
    demo_customers,
    demo_consent,
    demo_accounts,
    demo_cookies,
    demo_orders,
    demo_mail,
    demo_weblog,
]
