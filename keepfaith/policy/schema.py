"""The policy file format: pydantic models for every section of a privacy policy as data.

A policy file is YAML. Its root is :class:`Policy`. Every model is frozen and forbids
unknown keys, so a typo is an error, never a silently ignored promise. These models check
the *shape* of each element; references between sections (a form naming a use, a use
naming a data category) and the semantic rules are checked by ``references.py`` and
``validate.py``, which the loader runs after these models.

Conventions used throughout:

- ``Text`` is a mapping language -> text (``{en: "...", da: "..."}``). English is always
  required; every language of ``controller.languages`` must be present.
- ``clauses`` lists the promise ids (``BE-8``, ``QS-4``, ``SITE-1``...) an element states;
  the ids come from ``clauses.yaml``; an unknown id is an error.
- Data categories, uses and subjects are fideslang taxonomy keys
  (``user.contact.email``, ``marketing.communications.email``), or keys the file declares
  itself under ``taxonomy``.
- Durations are ``<n><unit>`` with unit ``h`` (hours), ``d``, ``w``, ``m`` (30 days) or
  ``y`` (365 days), e.g. ``7d``, ``2y``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from keepfaith.policy.clauses import is_known_clause

DURATION_RE = re.compile(r"^([1-9][0-9]{0,4})([hdwmy])$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7, "m": 24 * 30, "y": 24 * 365}
RETENTION_KEYWORDS = (
    "session",
    "transaction",
    "while-customer",
    "until-withdrawn",
    "permanent",
)
TAXONOMY_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
IDENT_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")


def _clause_id(value: str) -> str:
    if not is_known_clause(value):
        raise ValueError(f"unknown clause id {value!r} (not in keepfaith/policy/clauses.yaml)")
    return value


def _text(value: dict[str, str]) -> dict[str, str]:
    for lang, text in value.items():
        if not LANGUAGE_RE.match(lang):
            raise ValueError(f"language {lang!r} is not a two-letter ISO 639-1 code")
        if not text.strip():
            raise ValueError(f"text for language {lang!r} is empty")
    if "en" not in value:
        raise ValueError("an English text (en) is required")
    return value


def _duration(value: str) -> str:
    if not DURATION_RE.match(value):
        raise ValueError(f"{value!r} is not a duration like 7d, 12h, 6m or 2y")
    return value


def _retention(value: str) -> str:
    if value in RETENTION_KEYWORDS or DURATION_RE.match(value):
        return value
    words = ", ".join(RETENTION_KEYWORDS)
    raise ValueError(f"{value!r} is not a retention: use a duration like 7d or 2y, or {words}")


def _taxonomy_key(value: str) -> str:
    if not TAXONOMY_KEY_RE.match(value):
        raise ValueError(f"{value!r} is not a dotted taxonomy key like user.contact.email")
    return value


def _ident(value: str) -> str:
    if not IDENT_RE.match(value):
        raise ValueError(f"{value!r} is not an identifier (lower-case letters, digits, _ or -)")
    return value


def duration_hours(value: str) -> int | None:
    """Return the length of a duration in hours, or None for a retention keyword."""
    match = DURATION_RE.match(value)
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_HOURS[match.group(2)]


ClauseId = Annotated[str, AfterValidator(_clause_id)]
Clauses = tuple[ClauseId, ...]
Text = Annotated[dict[str, str], AfterValidator(_text)]
# A name that is the same in every language (a company's), or one per language.
Name = str | Text


def category_covered(category: str, declared: Iterable[str]) -> bool:
    """Is ``category`` one of ``declared`` or below one of them (a parent category covers its
    children, as the gate's rulebook expands them)?"""
    return any(category == d or category.startswith(d + ".") for d in declared)


def text_in(value: str | dict[str, str], lang: str) -> str:
    """``value`` (a ``Name`` or ``Text``) in ``lang``, else in English."""
    return value if isinstance(value, str) else value.get(lang) or value["en"]


Duration = Annotated[str, AfterValidator(_duration)]
Retention = Annotated[str, AfterValidator(_retention)]
TaxonomyKey = Annotated[str, AfterValidator(_taxonomy_key)]
Ident = Annotated[str, AfterValidator(_ident)]
StaffRole = Literal["support", "billing", "marketing", "privacy officer", "administrator"]
ChoiceKind = Literal["none", "opt-out", "opt-in"]
Audience = Literal["visitors", "customers", "established_customers"]
LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]
MailKindKey = Literal[
    "newsletter", "promotions", "partner_promotions", "service_announcements", "transactional"
]


class PolicyModel(BaseModel):
    """Base of every policy element: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class PostalAddress(PolicyModel):
    """A postal address as printed on the statement."""

    street: str
    postal_code: str
    city: str
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class Controller(PolicyModel):
    """Who is responsible for the data and how to reach them (BE-1).

    ``jurisdiction`` is an ISO 3166 country code (``DK``); it selects the jurisdiction rules
    (``jurisdiction.py``). ``languages`` are the languages every text must be given in;
    the first is the default. ``unsubscribe_email``, when set, receives opt-outs by e-mail;
    otherwise the privacy address does.
    """

    legal_name: str
    trading_names: tuple[str, ...] = ()
    postal_address: PostalAddress | None = None
    privacy_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
    unsubscribe_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")] | None = None
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    languages: Annotated[
        tuple[Annotated[str, Field(pattern=r"^[a-z]{2}$")], ...], Field(min_length=1)
    ]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    clauses: Clauses = ()

    @property
    def opt_out_email(self) -> str:
        """The address that turns incoming mail into opt-outs."""
        return self.unsubscribe_email or self.privacy_email


class Property(PolicyModel):
    """A site the statement covers (QS-1), e.g. the public site or the customer portal."""

    key: Ident
    name: str
    base_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    description: Text | None = None
    clauses: Clauses = ()


class CollectedCategory(PolicyModel):
    """One data category a form asks for, whether the form requires it, and a note."""

    category: TaxonomyKey
    required: bool = False
    # when it is asked, or where it comes from, when "required"/"optional" would mislead
    # ("only when there is something to pay", "from your account"): the statement says this
    note: Text | None = None


class CollectionPoint(PolicyModel):
    """A form where personal data is collected (QS-2, BE-2, BE-9).

    ``uses`` are the uses the data serves; every collected category must be needed by at
    least one of them. ``choices`` are the opt-out or opt-in uses the form offers as
    check boxes at the point of collection. ``outside_party`` names a recipient of kind
    outside party whose notice the form shows before it sends anything (BE-10).
    """

    id: Ident
    property: Ident
    name: Text
    categories: Annotated[tuple[CollectedCategory, ...], Field(min_length=1)]
    uses: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    choices: tuple[TaxonomyKey, ...] = ()
    outside_party: Ident | None = None
    clauses: Clauses = ()

    def category_keys(self) -> tuple[str, ...]:
        """The keys of the categories this form collects."""
        return tuple(item.category for item in self.categories)


class Use(PolicyModel):
    """A purpose personal data is used for.

    ``key`` is a fideslang data use (or a declared extension) and is unique in the file.
    ``choice`` says what the subject may decide: ``none`` (needed for the service),
    ``opt-out`` (on unless declined) or ``opt-in`` (off until consent). ``audience`` says
    whom the use may reach. ``retention`` is a duration or ``session``, ``transaction``,
    ``while-customer``, ``until-withdrawn``, ``permanent`` (a record that is never shortened,
    such as the audit log). ``portal_preference`` means the customer portal
    shows a switch for it on the preferences page, ``order_preference`` on the page of each
    order it concerns (automatic renewal); ``opt_out_by_email`` means mail to the
    controller's opt-out address is honoured for it (QS-4, BE-9). ``description`` says the
    purpose in the statement; ``prompt`` is what a customer reads beside the use's choice
    on a form (the description when absent), since a statement's sentence about
    "customers" reads oddly to the customer making the choice.
    """

    key: TaxonomyKey
    name: Text
    description: Text
    prompt: Text | None = None
    legal_basis: LegalBasis
    choice: ChoiceKind
    audience: Annotated[tuple[Audience, ...], Field(min_length=1)]
    retention: Retention
    # what the retention applies to, where the categories would mislead: data used for a
    # moment and turned into totals ("the totals; the address is replaced at once")
    retention_note: Text | None = None
    categories: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    portal_preference: bool = False
    order_preference: bool = False
    opt_out_by_email: bool = False
    clauses: Clauses = ()

    @property
    def choice_text(self) -> dict[str, str]:
        """The words beside this use's choice on a form."""
        return self.prompt or self.description


class StaffAccess(PolicyModel):
    """An internal staff role and the data it may see, for which uses (QS-3, BE-3)."""

    role: StaffRole
    categories: tuple[TaxonomyKey, ...] = ()
    uses: tuple[TaxonomyKey, ...] = ()
    clauses: Clauses = ()


class Processor(PolicyModel):
    """An outside company that processes data on the controller's behalf (QS-5).

    It receives exactly ``categories`` and only for ``uses``. ``key`` is the recipient the
    gate, the audit log and the processor's adapter name it by; ``name`` is what people read
    (one for every language, or per language).
    """

    key: Ident
    name: Name
    description: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    categories: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    uses: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    clauses: Clauses = ()


class OutsideParty(PolicyModel):
    """An outside party that collects data itself, e.g. a certificate authority (BE-10).

    Before a flow sends it anything the subject sees ``notice`` naming the party and the
    ``categories``, and must choose to go on. ``key`` is the recipient the gate, the audit
    log and the go-ahead (``outside_party:<key>``) name it by; ``name`` is what people read.
    """

    key: Ident
    name: Name
    categories: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    uses: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    notice: Text
    privacy_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    clauses: Clauses = ()


class DifferentialPrivacy(PolicyModel):
    """Noise on a partner's figures (BE-6): ``epsilon_per_release`` is the privacy loss of one
    release; ``budget_per_period`` caps the sum of the losses of every release that covers a
    calendar month of data (the period); ``delta`` bounds the chance that a figure of fewer
    than the threshold passes it (figures whose keys are not known in advance)."""

    epsilon_per_release: Annotated[float, Field(gt=0, le=10)]
    budget_per_period: Annotated[float, Field(gt=0, le=100)]
    delta: Annotated[float, Field(gt=0, le=1e-3)] = 1e-7


class Partner(PolicyModel):
    """A partner that receives aggregates only (BE-6).

    ``aggregates`` names the reports shared (``keepfaith/policy/aggregates.py``: countries,
    browsers, orders_by_product_country); a figure below ``min_cell_size`` is suppressed,
    with a second one in its row or column so that totals do not give it away.
    ``categories`` are the categories the aggregates are derived from.
    ``differential_privacy`` adds noise to every figure; ``noise: true`` alone (the older
    form) must say how much with it.
    """

    key: Ident
    name: Name
    description: Text
    aggregates: Annotated[tuple[Ident, ...], Field(min_length=1)]
    categories: tuple[TaxonomyKey, ...] = ()
    uses: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    min_cell_size: int | None = None
    noise: bool = False
    differential_privacy: DifferentialPrivacy | None = None
    clauses: Clauses = ()

    @property
    def noisy(self) -> bool:
        """True when the partner's figures carry noise."""
        return self.noise or self.differential_privacy is not None


class Recipients(PolicyModel):
    """Everyone who receives personal data: staff, processors, outside parties, partners."""

    staff: tuple[StaffAccess, ...] = ()
    processors: tuple[Processor, ...] = ()
    outside_parties: tuple[OutsideParty, ...] = ()
    partners: tuple[Partner, ...] = ()


class Cookie(PolicyModel):
    """A cookie the sites set, or a partner sets on them (QS-7, BE-4).

    ``purpose`` is a use key. An essential cookie is set without asking; any other only
    after consent to its purpose. ``recipient`` names the partner for third-party cookies.
    ``lifetime`` is ``session`` or a duration.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")]
    party: Literal["first", "third"]
    recipient: Ident | None = None
    purpose: TaxonomyKey
    lifetime: Annotated[str, Field(pattern=r"^(session|[1-9][0-9]{0,4}[hdwmy])$")]
    essential: bool
    categories: tuple[TaxonomyKey, ...] = ()
    description: Text
    clauses: Clauses = ()


class MailKind(PolicyModel):
    """A kind of e-mail the controller sends (BE-8).

    Each maps to a use and so to that use's choice and audience. ``unsubscribe: false``
    marks mail that cannot be declined (service announcements); it is allowed only for
    uses that are not marketing.
    """

    key: MailKindKey
    use: TaxonomyKey
    unsubscribe: bool = True
    description: Text
    clauses: Clauses = ()


class Pseudonymisation(PolicyModel):
    """How log IPs are pseudonymised: keyed hash with a rotating salt, truncated networks."""

    method: Literal["keyed-hash"] = "keyed-hash"
    salt_rotation: Duration = "1d"
    ipv4_prefix: Annotated[int, Field(ge=0, le=32)] = 24
    ipv6_prefix: Annotated[int, Field(ge=0, le=128)] = 48


class LogFiles(PolicyModel):
    """The access logs (QS-6, BE-5): what is kept, how IPs are hidden, who sees what.

    Raw IPs stay in a diagnostics store for ``raw_ip_retention`` that only
    ``raw_ip_readers`` can read; analytics (``uses``) see pseudonyms only, and their
    reports are visible to ``report_readers``.
    """

    fields: Annotated[tuple[Ident, ...], Field(min_length=1)]
    categories: tuple[TaxonomyKey, ...] = ("user.device.ip_address",)
    pseudonymisation: Pseudonymisation = Pseudonymisation()
    raw_ip_retention: Duration = "7d"
    raw_ip_readers: tuple[StaffRole, ...] = ("administrator",)
    uses: tuple[TaxonomyKey, ...] = ()
    reports: tuple[Ident, ...] = ()
    report_readers: tuple[StaffRole, ...] = ()
    linked_to_customers: Literal[False] = False
    clauses: Clauses = ()


class SecurityMeasure(PolicyModel):
    """A security promise and the control that enforces it (QS-3, QS-5)."""

    key: Ident
    description: Text
    control: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
    categories: tuple[TaxonomyKey, ...] = ()
    clauses: Clauses = ()


class ExternalLinks(PolicyModel):
    """The scope statement for links to other sites (QS-8, BE-7).

    The statement applies to ``covered_properties`` only (all properties when empty);
    links leaving them are marked when ``mark_outbound`` is set.
    """

    covered_properties: tuple[Ident, ...] = ()
    mark_outbound: bool = True
    clauses: Clauses = ()


class Changes(PolicyModel):
    """How changes to the policy are published (BE-11).

    ``notify``: ``email`` sends every customer a service e-mail when a version changes an
    earlier one; ``banner`` shows a notice on the sites for ``banner_days`` after it takes
    effect, until the visitor dismisses it.
    """

    update_page: Annotated[str, Field(pattern=r"^/\S*$")]
    notify: tuple[Literal["email", "banner"], ...] = ()
    banner_days: Annotated[int, Field(ge=1, le=365)] = 30
    reconsent_new_opt_in: bool = True
    clauses: Clauses = ()


class Renewals(PolicyModel):
    """When customers may renew a service, and how automatic renewal works (SITE-2).

    A renewal is offered from ``window`` before it is due until ``grace`` after; every
    renewal shows what will be charged and waits for the customer's confirmation. A renewal
    that recurs on its own charges the card on file only under ``automatic_use``, an opt-in
    use the customer turns on per service, and only after a reminder sent ``reminder``
    before each charge.
    """

    window: Duration = "60d"
    grace: Duration = "30d"
    automatic_use: TaxonomyKey | None = None
    reminder: Duration = "14d"
    clauses: Clauses = ()


class Consent(PolicyModel):
    """When collection counts as consented (BE-2, BE-11).

    ``browsing_collects_nothing``: a visitor who only browses leaves no personal record and
    gets no non-essential cookie. ``record_policy_version``: every stored submission keeps
    a consent record naming the policy version shown.
    """

    browsing_collects_nothing: bool = True
    record_policy_version: bool = True
    use_of_site_is_consent: bool = False
    clauses: Clauses = ()


class Portal(PolicyModel):
    """What the customer portal lets customers do with their own data (QS-4)."""

    property: Ident
    contact_details_editable: bool = True
    contact_history_kept: bool = True
    clauses: Clauses = ()


RightKey = Literal["access", "rectification", "erasure", "restriction", "objection", "portability"]
RIGHT_KEYS: tuple[str, ...] = (
    "access",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "portability",
)
StoreKey = Literal[
    "account",
    "contact_history",
    "orders",
    "cards",
    "consent",
    "support",
    "mail",
    "transfers",
    "certificates",
    "requests",
]
STORE_KEYS: tuple[str, ...] = get_args(StoreKey)


class SupervisoryAuthority(PolicyModel):
    """Where a person may complain (Art. 77 GDPR), e.g. Datatilsynet for Denmark."""

    name: str
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]


class KeptAfterErasure(PolicyModel):
    """Data of one store kept after an erasure request, why and until when (RIGHTS-17).

    ``period`` counts from the record's date, or from the end of the financial year it
    falls in (``counted_from: end_of_financial_year``, e.g. the Danish Bookkeeping Act's five
    years). Meanwhile the data is restricted to ``use`` (storage and the legal claims).
    """

    store: StoreKey
    categories: Annotated[tuple[TaxonomyKey, ...], Field(min_length=1)]
    legal_basis: Literal["legal_obligation", "legal_claims"]
    law: Text
    period: Duration
    counted_from: Literal["record", "end_of_financial_year"] = "record"
    use: TaxonomyKey


class Rights(PolicyModel):
    """The data subject's rights the controller grants, and how requests are kept on time.

    ``response_months`` is the time to answer (one calendar month); the privacy officer may
    extend once by up to ``extension_months`` with a reason sent within the first period
    (RIGHTS-12). Identity is confirmed through the signed-in account or a code mailed to the
    account's address (``code_lifetime``), never by copies of ID documents. A request with no
    step for ``stalled_after`` is flagged; one due within ``soon_due`` is listed as soon due.
    ``restriction_permits`` are the uses a restricted subject's data may still serve besides
    storage (the legal claims); ``objection_uses`` the legitimate-interest uses a person may
    object to (RIGHTS-18, RIGHTS-21). ``kept_after_erasure`` states, per store, what an
    erasure keeps, under which law, and for how long (RIGHTS-17); every other store is erased.
    """

    granted: Annotated[tuple[RightKey, ...], Field(min_length=1)]
    response_months: Annotated[int, Field(ge=1, le=1)] = 1
    extension_months: Annotated[int, Field(ge=0, le=2)] = 2
    code_lifetime: Duration = "24h"
    stalled_after: Duration = "7d"
    soon_due: Duration = "7d"
    restriction_permits: tuple[TaxonomyKey, ...] = ()
    objection_uses: tuple[TaxonomyKey, ...] = ()
    kept_after_erasure: tuple[KeptAfterErasure, ...] = ()
    source: Text
    supervisory_authority: SupervisoryAuthority
    clauses: Clauses = ()


class TaxonomyEntry(PolicyModel):
    """A taxonomy key the file declares on top of fideslang's default taxonomy."""

    key: TaxonomyKey
    parent: TaxonomyKey
    name: Name
    description: str | None = None


class TaxonomyExtensions(PolicyModel):
    """Own taxonomy keys: each must extend an existing parent (``parent.child``)."""

    data_categories: tuple[TaxonomyEntry, ...] = ()
    data_uses: tuple[TaxonomyEntry, ...] = ()


class Policy(PolicyModel):
    """The root of a policy file. ``version`` names this revision (shown on the update page)."""

    version: Annotated[str, Field(min_length=1)]
    effective: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    controller: Controller
    taxonomy: TaxonomyExtensions = TaxonomyExtensions()
    properties: Annotated[tuple[Property, ...], Field(min_length=1)]
    consent: Consent = Consent()
    collection_points: tuple[CollectionPoint, ...] = ()
    uses: Annotated[tuple[Use, ...], Field(min_length=1)]
    recipients: Recipients = Recipients()
    cookies: tuple[Cookie, ...] = ()
    mail_kinds: tuple[MailKind, ...] = ()
    portal: Portal | None = None
    renewals: Renewals | None = None
    rights: Rights | None = None
    log_files: LogFiles | None = None
    security_measures: tuple[SecurityMeasure, ...] = ()
    external_links: ExternalLinks = ExternalLinks()
    changes: Changes

    def use_by_key(self, key: str) -> Use | None:
        """The use with this key, or None."""
        return next((use for use in self.uses if use.key == key), None)

    def property_by_key(self, key: str) -> Property | None:
        """The property (site) with this key, or None."""
        return next((prop for prop in self.properties if prop.key == key), None)

    def collection_point_by_id(self, point_id: str) -> CollectionPoint | None:
        """The form with this id, or None."""
        return next((point for point in self.collection_points if point.id == point_id), None)

    def cookie_by_name(self, name: str) -> Cookie | None:
        """The cookie with this name, or None."""
        return next((cookie for cookie in self.cookies if cookie.name == name), None)

    def mail_kind(self, key: str) -> MailKind | None:
        """The mail kind with this key, or None."""
        return next((kind for kind in self.mail_kinds if kind.key == key), None)

    def recipient_keys(self) -> tuple[str, ...]:
        """Keys of every recipient: staff roles, processors, outside parties, partners."""
        rec = self.recipients
        return (
            *(staff.role for staff in rec.staff),
            *(item.key for item in rec.processors),
            *(item.key for item in rec.outside_parties),
            *(item.key for item in rec.partners),
        )

    def processor(self, key: str) -> Processor | None:
        """The processor with this key, or None."""
        return next((item for item in self.recipients.processors if item.key == key), None)

    def outside_party(self, key: str) -> OutsideParty | None:
        """The outside party with this key, or None."""
        return next((p for p in self.recipients.outside_parties if p.key == key), None)

    def partner(self, key: str) -> Partner | None:
        """The partner with this key, or None."""
        return next((item for item in self.recipients.partners if item.key == key), None)

    def recipient_name(self, key: str, lang: str) -> str | None:
        """What people read for the processor, outside party or partner ``key``, in ``lang``
        (the gate and the audit log name it by its key); None for any other key."""
        found = self.processor(key) or self.outside_party(key) or self.partner(key)
        return None if found is None else text_in(found.name, lang)

    def uses_offered_at(self, point_id: str) -> tuple[Use, ...]:
        """The opt-out/opt-in uses the form ``point_id`` offers as choices."""
        point = self.collection_point_by_id(point_id)
        if point is None:
            return ()
        return tuple(use for key in point.choices if (use := self.use_by_key(key)) is not None)

    def clause_ids(self) -> frozenset[str]:
        """Every clause id some element of this policy names."""
        return frozenset(clause for _, clauses in self.clause_elements() for clause in clauses)

    def clause_elements(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Yield (element label, clause ids) for each element that names clauses."""
        yield "controller", self.controller.clauses
        yield "consent", self.consent.clauses
        yield "external_links", self.external_links.clauses
        yield "changes", self.changes.clauses
        if self.portal is not None:
            yield "portal", self.portal.clauses
        if self.log_files is not None:
            yield "log_files", self.log_files.clauses
        if self.rights is not None:
            yield "rights", self.rights.clauses
        groups: list[tuple[str, tuple[PolicyModel, ...]]] = [
            ("properties", self.properties),
            ("collection_points", self.collection_points),
            ("uses", self.uses),
            ("recipients.staff", self.recipients.staff),
            ("recipients.processors", self.recipients.processors),
            ("recipients.outside_parties", self.recipients.outside_parties),
            ("recipients.partners", self.recipients.partners),
            ("cookies", self.cookies),
            ("mail_kinds", self.mail_kinds),
            ("security_measures", self.security_measures),
        ]
        for label, items in groups:
            for index, item in enumerate(items):
                yield f"{label}[{index}]", getattr(item, "clauses", ())
