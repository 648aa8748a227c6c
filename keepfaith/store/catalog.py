"""The shop's catalogue: products as data next to the policy they are sold under.

Rules kept here:

- A catalogue lives in ``catalog.yaml`` beside the policy file in force. It is read with the
  policy loader's YAML reader and validated with pydantic; every problem is reported as
  ``file:line:column: error: path: message`` and the loader raises nothing but
  ``CatalogError``, whatever the file holds.
- Prices are whole numbers of minor units (cents, øre) in the policy's currency, per pricing
  period of the product, excluding VAT; the VAT rate is data of the catalogue.
- A product that needs an outside party (e.g. organisation validation by the certificate
  authority) names that party; it must be an outside party the policy declares (BE-10).
- Every shown text has a version in every language of the policy.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from keepfaith.policy.problems import DataPath, Finding, Problem, path_text
from keepfaith.policy.schema import Policy
from keepfaith.policy.schema import text_in as policy_text_in
from keepfaith.policy.yamlsource import MAX_BYTES, YamlSource, read_yaml

IDENT_MAX = 64


def _ident(value: str) -> str:
    if not (0 < len(value) <= IDENT_MAX) or not all(c.isalnum() or c in "-_" for c in value):
        raise ValueError(f"{value!r} is not an identifier (letters, digits, - or _)")
    if not (value.isascii() and value == value.lower()):
        raise ValueError(f"{value!r} is not an identifier (lower-case ASCII)")
    return value


def _text(value: dict[str, str]) -> dict[str, str]:
    if "en" not in value:
        raise ValueError("a text needs at least an English version (en)")
    return value


Ident = Annotated[str, AfterValidator(_ident)]
Text = Annotated[dict[str, str], AfterValidator(_text)]
Minor = Annotated[int, Field(ge=0, le=100_000_000)]
Percent = Annotated[int, Field(ge=0, le=90)]


class CatalogModel(BaseModel):
    """Base of every catalogue element: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Choice(CatalogModel):
    """One value of a ``choice`` option; ``price`` is added per pricing period."""

    id: Ident
    label: Text
    price: Minor = 0


class Option(CatalogModel):
    """A configurator option: pick one ``choice``, or a ``count`` between ``min`` and ``max``
    of which ``included`` are free and each further one costs ``unit_price`` per period."""

    id: Ident
    label: Text
    kind: Literal["choice", "count"]
    choices: tuple[Choice, ...] = ()
    default: str | None = None
    min: Annotated[int, Field(ge=0, le=1000)] = 0
    max: Annotated[int, Field(ge=0, le=1000)] = 0
    included: Annotated[int, Field(ge=0, le=1000)] = 0
    unit_price: Minor = 0
    unit: Text | None = None


class Term(CatalogModel):
    """A term the product is sold for, with an optional discount on the whole term."""

    months: Annotated[int, Field(ge=1, le=120)]
    discount_percent: Percent = 0


class Renewal(CatalogModel):
    """How a product renews: as itself (``product`` empty) or as another product (a trial)."""

    product: Ident | None = None
    discount_percent: Percent = 0


class Product(CatalogModel):
    id: Ident
    kind: Literal["hosting", "certificate"]
    name: Text
    summary: Text
    # What the product is for, in a line a customer reads on the catalogue card.
    purpose: Text | None = None
    # How the certificate authority checks the applicant: the domain only, or the organisation.
    validation: Literal["domain", "organisation"] | None = None
    period_months: Literal[1, 12] = 12
    price: Minor
    terms: Annotated[tuple[Term, ...], Field(min_length=1)]
    options: tuple[Option, ...] = ()
    trial_days: Annotated[int, Field(ge=1, le=90)] | None = None
    outside_party: Ident | None = None
    collection_point: Ident | None = None
    renewal: Renewal | None = Renewal()


class Vat(CatalogModel):
    """VAT on the catalogue's prices, which never include it."""

    rate_percent: Annotated[Decimal, Field(ge=0, le=50, max_digits=5, decimal_places=2)]
    prices_include_vat: Literal[False] = False
    note: Text
    # The seller's VAT registration (in Denmark the CVR number with "DK"), printed on invoices.
    seller_vat_number: Annotated[str, Field(max_length=40)] = ""
    # Where invoices send questions about a bill (the policy's privacy address when unset).
    seller_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")] | None = None


class Catalog(CatalogModel):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    vat: Vat
    products: Annotated[tuple[Product, ...], Field(min_length=1, max_length=200)]

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)


class CatalogError(Exception):
    """A catalogue that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(str(p) for p in self.problems[:20])
        super().__init__(f"{len(self.problems)} error(s) in catalogue:\n{lines}")


def _located(source: YamlSource, loc: tuple[int | str, ...]) -> DataPath:
    """The longest prefix of a pydantic location that is written in the file."""
    path: DataPath = ()
    node: Any = source.data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
            child = node[part]  # type: ignore[index]
        elif isinstance(node, dict) and isinstance(part, str) and "[" not in part:
            return (*path, part)
        else:
            break
        node, path = child, (*path, part)
    return path


def _pydantic_problems(file: str, source: YamlSource, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        path = _located(source, tuple(item["loc"]))
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown key {path[-1]!r}"
        elif item["type"] == "missing":
            message = f"missing required key {path[-1]!r}"
        line, column = source.problem_mark(path)
        problems.append(Problem(file, line, column, path_text(path), message))
    return problems


def _option_findings(path: DataPath, option: Option, langs: tuple[str, ...]) -> list[Finding]:
    found = _text_findings((*path, "label"), option.label, langs)
    if option.kind == "choice":
        ids = [c.id for c in option.choices]
        if not ids:
            found.append(Finding((*path, "choices"), "a choice option needs at least one choice"))
        if len(set(ids)) != len(ids):
            found.append(Finding((*path, "choices"), "choice ids must be unique"))
        if option.default is not None and option.default not in ids:
            found.append(Finding((*path, "default"), f"{option.default!r} is not a choice id"))
        for i, choice in enumerate(option.choices):
            found += _text_findings((*path, "choices", i, "label"), choice.label, langs)
    elif option.min > option.max:
        found.append(Finding((*path, "max"), "max must be at least min"))
    return found


def _text_findings(path: DataPath, text: dict[str, str], langs: tuple[str, ...]) -> list[Finding]:
    missing = [lang for lang in langs if not text.get(lang, "").strip()]
    if missing:
        return [Finding(path, f"missing the text in {', '.join(missing)} (a policy language)")]
    return []


def _party_findings(path: DataPath, product: Product, policy: Policy) -> list[Finding]:
    """An outside party must be the policy's, with the collection point that asks for it."""
    found: list[Finding] = []
    parties = {p.key: p for p in policy.recipients.outside_parties}
    if product.outside_party is not None and product.outside_party not in parties:
        known = ", ".join(parties) or "none"
        found.append(
            Finding(
                (*path, "outside_party"),
                f"{product.outside_party!r} is not an outside party of the policy "
                f"(recipients.outside_parties: {known})",
            )
        )
    points = {c.id: c for c in policy.collection_points}
    if product.collection_point is not None:
        point = points.get(product.collection_point)
        if point is None:
            found.append(
                Finding((*path, "collection_point"), "not a collection point of the policy")
            )
        elif point.outside_party != product.outside_party:
            found.append(
                Finding(
                    (*path, "collection_point"),
                    f"the collection point sends to {point.outside_party!r}, "
                    f"the product names {product.outside_party!r}",
                )
            )
    elif product.outside_party is not None:
        found.append(
            Finding((*path, "outside_party"), "name the collection_point that asks for the data")
        )
    return found


def _product_findings(i: int, product: Product, catalog: Catalog, policy: Policy) -> list[Finding]:
    path: DataPath = ("products", i)
    langs = policy.controller.languages
    found = _text_findings((*path, "name"), product.name, langs)
    found += _text_findings((*path, "summary"), product.summary, langs)
    if product.purpose is not None:
        found += _text_findings((*path, "purpose"), product.purpose, langs)
    if product.validation == "domain" and product.outside_party is not None:
        found.append(
            Finding(
                (*path, "validation"), "an outside party validates the organisation, not a domain"
            )
        )
    option_ids = [o.id for o in product.options]
    if len(set(option_ids)) != len(option_ids):
        found.append(Finding((*path, "options"), "option ids must be unique"))
    for j, option in enumerate(product.options):
        found += _option_findings((*path, "options", j), option, langs)
    for j, term in enumerate(product.terms):
        if term.months % product.period_months:
            found.append(
                Finding(
                    (*path, "terms", j, "months"),
                    f"a term must be a whole number of periods ({product.period_months} months)",
                )
            )
    if product.trial_days is not None and product.price:
        found.append(Finding((*path, "price"), "a trial is free: its price must be 0"))
    found += _party_findings(path, product, policy)
    renewal = product.renewal
    if renewal is not None and renewal.product and catalog.product(renewal.product) is None:
        found.append(Finding((*path, "renewal", "product"), "not a product of this catalogue"))
    return found


def catalog_findings(catalog: Catalog, policy: Policy) -> list[Finding]:
    """What is wrong with a well-formed catalogue when read against ``policy``."""
    found: list[Finding] = []
    if catalog.currency != policy.controller.currency:
        found.append(
            Finding(
                ("currency",),
                f"the policy's currency is {policy.controller.currency}, not {catalog.currency}",
            )
        )
    found += _text_findings(("vat", "note"), catalog.vat.note, policy.controller.languages)
    ids = [p.id for p in catalog.products]
    for i, product in enumerate(catalog.products):
        if ids.index(product.id) != i:
            found.append(Finding(("products", i, "id"), f"product id {product.id!r} repeats"))
        found += _product_findings(i, product, catalog, policy)
    return found


def catalog_parse(*, raw: bytes | str, file: str, policy: Policy) -> Catalog:
    """Validate catalogue text against ``policy``; raises only ``CatalogError``."""
    source = read_yaml(raw)
    problems = [
        Problem(file, line, col, path_text(where), message)
        for (line, col), where, message in source.errors
    ]
    if problems:
        raise CatalogError(problems)
    if not isinstance(source.data, dict):
        raise CatalogError([Problem(file, 1, 1, "", "a catalogue must be a mapping")])
    try:
        catalog = Catalog.model_validate(source.data)
    except ValidationError as exc:
        raise CatalogError(_pydantic_problems(file, source, exc)) from None
    findings = catalog_findings(catalog, policy)
    if findings:
        raise CatalogError(
            [
                Problem(file, *source.problem_mark(f.path), path_text(f.path), f.message)
                for f in findings
            ]
        )
    return catalog


def catalog_load(path: str | os.PathLike[str], *, policy: Policy) -> Catalog:
    """The catalogue at ``path``; raises ``CatalogError`` naming every problem."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CatalogError(
            [Problem(str(path), 1, 1, "", f"cannot read the catalogue: {exc.strerror}")]
        ) from None
    return catalog_parse(raw=raw, file=str(path), policy=policy)


# ``text`` in ``lang``, else English: the policy's rule for its names and texts.
text_in = policy_text_in
