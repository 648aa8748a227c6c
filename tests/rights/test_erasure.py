"""Erasure (RIGHTS-17): the plan from the policy, carried out in every store, a receipt; the
hash chains stay verifiable; an interrupted erasure finishes exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models

from keepfaith.accounts.models import User
from keepfaith.audit.models import AuditEntry
from keepfaith.audit.selectors import chain_verify
from keepfaith.comms.delivery import deliver_pending
from keepfaith.consent.models import ConsentEvent
from keepfaith.rights import erasure
from keepfaith.rights.models import RightsRequest
from keepfaith.store.models import Order
from keepfaith.vault.models import StoredCardRecord
from tests.conftest import PASSWORD
from tests.rights.conftest import ask, place_order

# What the receipt says is kept: the invoice fields of orders (Bookkeeping Act) and the
# request with its receipt mail (proof the request was carried out).
KEPT = {
    ("store", "order", "billing_name"),
    ("store", "order", "billing_email"),
    ("store", "order", "billing_address"),
    ("rights", "rightsrequest", "requester_email"),
    ("comms", "outboxmessage", "to_address"),
    ("comms", "outboxmessage", "text_body"),
    ("comms", "outboxmessage", "html_body"),
}


def _found(needle: str) -> set[tuple[str, str, str]]:
    hits: set[tuple[str, str, str]] = set()
    for model in apps.get_models():
        manager: Any = model._default_manager
        name = str(model._meta.model_name)
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            if isinstance(field, models.JSONField):
                rows = manager.all().values_list(field.name, flat=True)
                if any(needle in str(v).lower() for v in rows):
                    hits.add((model._meta.app_label, name, field.name))
                continue
            if manager.filter(**{f"{field.name}__icontains": needle}).exists():
                hits.add((model._meta.app_label, name, field.name))
    return hits


def _erase(client: Any) -> Any:
    response = ask(client, "erasure")
    assert response["Location"] == "/account/privacy/erase/"
    assert RightsRequest.objects.filter(kind="erasure").exists() is False
    page = client.get("/account/privacy/erase/")
    assert page.status_code == 200
    assert "Orders and invoices" in page.content.decode()
    return client.post("/account/privacy/erase/", {"password": PASSWORD})


@pytest.mark.clause("RIGHTS-17")
@pytest.mark.feature("rights.erasure.plan")
def test_carol_erases_her_account_and_only_the_stated_records_remain(
    alice: User, carol: User
) -> None:
    from keepfaith.support.models import SupportTicket
    from tests.console.factories import ticket_for

    client = place_order(carol)
    ticket_for(carol)
    deliver_pending()
    response = _erase(client)
    assert response.status_code == 200
    assert "Your data is erased" in response.content.decode()
    # the receipt says what was done, under the company's name
    assert "<td>Erased</td>" in response.content.decode()
    assert "Erased now" not in response.content.decode()
    assert "· QualitySSL</title>" in response.content.decode()
    deliver_pending()
    carol.refresh_from_db()
    assert carol.is_active is False and carol.full_name == "" and "carol" not in carol.email
    hits = _found("carol")
    assert hits <= KEPT, hits - KEPT
    card = StoredCardRecord.objects.get(subject=carol.subject_ref)
    assert card.sealed == "" and card.processor_token == ""
    assert Order.objects.filter(customer=carol).count() == 1
    assert SupportTicket.objects.filter(customer=carol).count() == 0
    req = RightsRequest.objects.get(kind="erasure")
    assert req.state == "done"
    kept = [i for i in req.receipt["plan"] if not i["erase"]]
    assert {i["store"] for i in kept} == {"orders", "requests"}
    assert "Bookkeeping" in kept[0]["why"] or "bogføringsloven" in kept[0]["why"]
    assert chain_verify(AuditEntry).intact is True
    assert chain_verify(ConsentEvent).intact is True
    assert User.objects.get(pk=alice.pk).is_active is True
    assert carol.has_usable_password() is False


@pytest.mark.clause("RIGHTS-17")
def test_an_interrupted_erasure_finishes_once_when_run_again(
    carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = place_order(carol)
    real = erasure._erase_store
    calls: list[str] = []

    def crash_on_mail(store: str, *args: Any) -> None:
        calls.append(store)
        if store == "mail" and calls.count("mail") == 1:
            raise RuntimeError("power cut")
        real(store, *args)

    monkeypatch.setattr(erasure, "_erase_store", crash_on_mail)
    with pytest.raises(RuntimeError):
        _erase(client)
    req = RightsRequest.objects.get(kind="erasure")
    assert "contact_history" in req.receipt["done"] and "mail" not in req.receipt["done"]
    from django.core.management import call_command

    from tests.conftest import make_staff

    make_staff("pat@staff.example", "privacy officer")
    call_command("rights", "erase", req.reference, "--as", "pat@staff.example")
    req.refresh_from_db()
    assert req.state == "done"
    assert all(calls.count(store) == 1 for store in set(calls) if store != "mail")
    assert calls.count("mail") == 2
    assert req.steps.filter(action="erased").count() == 1


@pytest.mark.clause("RIGHTS-17")
def test_after_an_erasure_no_file_under_var_holds_her(
    alice: User, carol: User, settings: Any, tmp_path: Any
) -> None:
    """The files keepfaith writes (web-log stores, partner releases, the vault's key ring,
    delivered mail as the development mail folder keeps it) hold nothing of carol's after
    her erasure but the mail that was delivered to her own address (it is hers, not ours)."""
    var = tmp_path / "var"
    settings.WEBLOG_DIR = var / "weblog"
    settings.SHARING_DIR = var / "sharing"
    settings.VAULT_KEYRING_PATH = var / "vault" / "keyring.json"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = var / "mail"
    client = place_order(carol)
    client.post("/support/ticket/", {"summary": "Carol's server", "description": "Carol here"})
    deliver_pending()
    assert _erase(client).status_code == 200
    deliver_pending()
    files = [p for p in var.rglob("*") if p.is_file()]
    assert any(p.parent.name == "mail" for p in files)  # the scan sees the mail folder
    holding = []
    for path in files:
        text = path.read_bytes().lower()
        if b"carol" not in text:
            continue
        delivered_to_her = path.parent.name == "mail" and b"\nto: carol@" in text
        if not delivered_to_her:
            holding.append(str(path.relative_to(var)))
    assert holding == []


@pytest.mark.clause("RIGHTS-17")
def test_every_store_a_policy_can_name_has_its_owners_eraser() -> None:
    from keepfaith.policy.schema import STORE_KEYS

    assert set(erasure.ERASERS) == set(STORE_KEYS) - {"account", "consent"}


@pytest.mark.clause("RIGHTS-17")
def test_a_store_the_policy_keeps_stays_until_its_day(
    carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the receipt says is kept is kept (here a policy that keeps support requests for a
    year), and the daily job erases it on its day: found by the address the person had, since
    the account's own address is erased by then."""
    import datetime as dt

    from keepfaith.rights.daily import kept_data_expire
    from keepfaith.support.models import InformationRequest, SupportTicket
    from tests.console.factories import ticket_for

    client = place_order(carol)
    ticket_for(carol)
    InformationRequest.objects.create(
        reference="IR-CAROL", name="Carol", email=carol.email, question="Carol's question"
    )
    real_plan = erasure.erasure_plan

    def plan_keeping_support(**kwargs: Any) -> list[erasure.PlanItem]:
        items = real_plan(**kwargs)
        until = (kwargs["today"] + dt.timedelta(days=365)).isoformat()
        return [
            erasure.PlanItem("support", False, "kept", until, "1 year")
            if i.store == "support"
            else i
            for i in items
        ]

    monkeypatch.setattr(erasure, "erasure_plan", plan_keeping_support)
    assert _erase(client).status_code == 200
    assert SupportTicket.objects.filter(customer=carol).count() == 1
    assert InformationRequest.objects.filter(reference="IR-CAROL").count() == 1
    assert kept_data_expire(today=dt.date.today() + dt.timedelta(days=30)) == 0
    assert kept_data_expire(today=dt.date.today() + dt.timedelta(days=400)) >= 1
    assert SupportTicket.objects.filter(customer=carol).count() == 0
    assert InformationRequest.objects.filter(reference="IR-CAROL").count() == 0


@pytest.mark.clause("RIGHTS-19")
def test_the_processor_that_got_the_card_is_told_even_after_a_change(
    carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit log names the processor the gate let the card go to; a processor the policy
    names later, or none at all, changes nothing about who is told."""
    from django.core.exceptions import ImproperlyConfigured

    from keepfaith.audit.services import Actor, audit_append
    from keepfaith.rights import recipients

    place_order(carol)
    assert recipients.recipients_of(carol) == ["payment-processor"]
    audit_append(
        actor=Actor.system("test"),
        action="gate.check",
        outcome="allowed",
        subject=carol.subject_ref,
        use="essential.service.payment_processing",
        detail={"recipient": "earlier-processor"},
    )

    def no_processor(**_kwargs: Any) -> str:
        raise ImproperlyConfigured("no processor")

    monkeypatch.setattr(recipients, "payment_recipient", no_processor)
    assert recipients.recipients_of(carol) == ["payment-processor", "earlier-processor"]
    StoredCardRecord.objects.filter(subject=carol.subject_ref).update(subject="someone-else")
    assert recipients.recipients_of(carol) == []


@pytest.mark.clause("RIGHTS-17")
def test_erasing_mail_files_takes_the_whole_address_only(
    db: None, settings: Any, tmp_path: Any
) -> None:
    """The development mail sink: al@example.com's erasure leaves val@example.com's mail."""
    from keepfaith.comms.services import mail_erase

    settings.EMAIL_FILE_PATH = str(tmp_path)
    (tmp_path / "to-al.eml").write_bytes(b"To: <AL@example.com>\r\n\r\nHello")
    (tmp_path / "to-val.eml").write_bytes(b"To: val@example.com\r\n\r\nHello")
    (tmp_path / "to-al-sub.eml").write_bytes(b"To: al@example.com.example\r\n\r\nHello")
    mail_erase("KF-NOBODY", address="al@example.com")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["to-al-sub.eml", "to-val.eml"]


@pytest.mark.clause("RIGHTS-17")
def test_the_erasure_answer_and_its_mail_are_in_one_language(carol: User) -> None:
    """Carol reads Danish; she erased from an English page: the Danish mail quoted an English
    answer with Danish reasons inside."""
    from django.core import mail

    client = place_order(carol)
    User.objects.filter(pk=carol.pk).update(language="da")
    deliver_pending()
    mail.outbox.clear()
    _erase(client)
    deliver_pending()
    (told,) = [m for m in mail.outbox if "DSR-" in m.subject]
    assert "Dine oplysninger er slettet." in told.body
    assert "Your data is erased" not in told.body and "Kept until" not in told.body


@pytest.mark.clause("RIGHTS-17")
def test_bookkeeping_is_kept_from_the_day_on_the_invoice(alice: User, settings: Any) -> None:
    """An order at 23:30 UTC on 31 December is on 1 January's invoice in Copenhagen: its
    bookkeeping is kept five years from that day, not from the UTC day a year earlier
    (found by the diff review)."""
    import datetime as dt

    from keepfaith.inforce import in_force
    from keepfaith.rights.erasure import erasure_plan
    from tests.store.conftest import bought_at_new_year

    bought_at_new_year(alice, settings)
    plan = erasure_plan(
        customer=alice, policy=in_force().policy, lang="en", today=dt.date(2027, 1, 2)
    )
    kept = {step.store: step.until for step in plan if not step.erase}
    assert kept["orders"].startswith("2032"), kept
