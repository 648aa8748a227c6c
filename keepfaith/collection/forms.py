"""The shared base of every form that collects personal data (QS-2, QS-4, BE-2, BE-9).

``CollectionPointForm`` subclasses name their point (``point_id``) and mark every field
with ``collects(...)`` or ``not_personal(...)``. On construction the form reads the point
from the policy in force and

- refuses (``UndeclaredCollection``) any field whose category the point does not declare,
  or that declares nothing; fields marked ``if_declared`` are dropped instead;
- makes each collected field required exactly when the policy says the category is;
- adds a check box per opt-out or opt-in use the point offers (``choice.<use key>``),
  labelled with the use's name. A signed-in subject's box shows their current state (on
  exactly when the gate lets the use reach them); a new person's opt-out box starts ticked
  only where the jurisdiction allows pre-ticked boxes. Each box also sends the state it
  showed (Django's ``show_hidden_initial``), so the answer is compared with what the person
  saw, not with whatever the ledger holds by the time they submit;
- carries the version of the policy shown, and refuses a submission made against another
  version (the person must see the notice of the version that will be recorded).

``save_consent`` writes one ledger transaction per submission through the consent service
(``keepfaith.consent.answers``): a ``notice-acknowledged`` event for the point's first use
(so every stored submission has a record naming the version shown), plus an event for each
choice the person changed. A person asked for the first time (no subject when the form was
built: sign-up, a visitor's question) has every answer recorded, unticked boxes as "no".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from keepfaith.audit.services import Actor
from keepfaith.collection.declare import (
    CATEGORY_ATTR,
    IF_DECLARED_ATTR,
    UndeclaredCollection,
    collection_point,
    declared_category,
    not_personal,
    require_declared,
)
from keepfaith.collection.fields import VisibleTextForm
from keepfaith.consent.answers import Answer, answers_record, shown_on
from keepfaith.consent.models import ConsentEvent
from keepfaith.consent.selectors import current_choices
from keepfaith.consent.services import consent_form_hash
from keepfaith.gate import Gate
from keepfaith.inforce import InForce, in_force
from keepfaith.policy.phrases import category_name
from keepfaith.policy.schema import Use, text_in
from keepfaith.policy.trace import enforces

CHOICE_PREFIX = "choice."
VERSION_FIELD = "shown_policy_version"
_MISSING = object()


@dataclass(frozen=True)
class Notice:
    """What the form tells people next to it: what it collects, why, where to read more."""

    point_name: str
    collected: tuple[str, ...]
    purposes: tuple[str, ...]
    statement_url: str
    version: str

    def text(self) -> str:
        return (
            f"{self.point_name}: we collect {', '.join(self.collected)} for "
            f"{', '.join(self.purposes)}. Policy {self.version}: {self.statement_url}"
        )


@enforces("QS-2", "QS-4", "BE-2", "BE-9", features=("choices.on-forms",))
class CollectionPointForm(VisibleTextForm):
    """A form declared as collection point ``point_id`` of the policy in force."""

    point_id: ClassVar[str] = ""
    implicit_categories: ClassVar[tuple[str, ...]] = ()
    """Categories stored with a submission without a field (e.g. the customer number)."""

    def __init__(
        self, *args: Any, subject: str | None = None, point_id: str | None = None, **kwargs: Any
    ) -> None:
        """``point_id`` names the point when the class serves several (an outside party's)."""
        super().__init__(*args, **kwargs)
        self.in_force: InForce = in_force()
        self.policy, self.version = self.in_force.policy, self.in_force.version
        self.point = collection_point(self.policy, point_id or self.point_id)
        self.subject = subject
        self.lang = self.in_force.language(get_language())
        self.not_asked_here: set[str] = set()
        """Declared categories this showing of the form does not ask for (a free checkout's
        card): left out of its notice, which says what is collected here."""
        self._check_fields()
        require_declared(
            point=self.point,
            categories=self.implicit_categories,
            what=f"{type(self).__name__} (stored without a field)",
        )
        self.fields[VERSION_FIELD] = not_personal(
            forms.CharField(widget=forms.HiddenInput, required=False),
            reason="the label of the policy version shown with the form",
        )
        self.initial[VERSION_FIELD] = self.version_label
        self._add_choices()

    @property
    def version_label(self) -> str:
        return self.in_force.label

    def _check_fields(self) -> None:
        required = {item.category: item.required for item in self.point.categories}
        for name in list(self.fields):
            field = self.fields[name]
            category = getattr(field, CATEGORY_ATTR, _MISSING)
            what = f"{type(self).__name__}.{name}"
            if category is _MISSING:
                raise UndeclaredCollection(
                    f"{what} declares no data category: mark it with collects(category, ...) "
                    "or not_personal(..., reason=...)"
                )
            if category is None:
                continue
            covering = declared_category(self.point, str(category))
            if covering is None and getattr(field, IF_DECLARED_ATTR, False):
                del self.fields[name]
                continue
            require_declared(point=self.point, categories=[str(category)], what=what)
            field.required = required[str(covering)]

    anonymous_choices_need_visitors: ClassVar[bool] = False
    """A form anyone may send without becoming a customer (a question) offers a visitor only
    the choices whose use may reach visitors: a newsletter for customers would reach nobody
    who asked for it there."""

    def offered_uses(self) -> tuple[Use, ...]:
        """The opt-out and opt-in uses this point offers, in the policy's order."""
        return tuple(
            u
            for u in self.policy.uses_offered_at(self.point.id)
            if u.choice != "none"
            and (
                self.subject or not self.anonymous_choices_need_visitors or "visitors" in u.audience
            )
        )

    def _add_choices(self) -> None:
        rules = self.in_force.rulebook.uses  # the gate's own reading of each choice
        current = current_choices(subject=self.subject) if self.subject else {}
        for use in self.offered_uses():
            needs_yes = rules[use.key].answer_required
            if self.subject:
                ticked = shown_on(use.choice, current.get(use.key), answer_required=needs_yes)
            else:
                ticked = use.choice == "opt-out" and not needs_yes
            name = CHOICE_PREFIX + use.key
            self.fields[name] = forms.BooleanField(
                required=False,
                label=use.name.get(self.lang, use.name["en"]),
                help_text=text_in(use.choice_text, self.lang),
                show_hidden_initial=True,
            )
            self.initial[name] = ticked

    def choice_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(CHOICE_PREFIX)]

    def data_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in self.fields
            if not name.startswith(CHOICE_PREFIX) and name != VERSION_FIELD
        ]

    def notice(self) -> Notice:
        declared = {e.key: text_in(e.name, self.lang) for e in self.policy.taxonomy.data_categories}
        uses = [self.policy.use_by_key(key) for key in self.point.uses]
        return Notice(
            point_name=self.point.name.get(self.lang, self.point.name["en"]),
            collected=tuple(
                category_name(key, self.lang, declared=declared)
                for key in self.point.category_keys()
                if key not in self.not_asked_here
            ),
            purposes=tuple(u.name.get(self.lang, u.name["en"]) for u in uses if u is not None),
            statement_url="/da/privacy/" if self.lang == "da" else "/privacy/",
            version=self.version_label,
        )

    def notice_html(self) -> SafeString:
        return SafeString(render_to_string("collection/_notice.html", {"notice": self.notice()}))

    def shown(self) -> str:
        """The form as shown, for the evidence hash: notice, then each field's name and label
        (and each choice's starting state). Stable across requests, unlike the HTML with its
        forgery token."""
        lines = [f"point {self.point.id}", self.notice().text()]
        for name, field in self.fields.items():
            if name != VERSION_FIELD:
                start = (
                    f" initial={self.initial.get(name)!r}" if name.startswith(CHOICE_PREFIX) else ""
                )
                lines.append(f"{name}: {field.label or ''}{start}")
        return "\n".join(lines)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        shown = cleaned.get(VERSION_FIELD) or ""
        if self.is_bound and shown != self.version_label:
            raise forms.ValidationError(
                _(
                    "Our privacy policy changed while this form was open (now version "
                    "%(version)s). Please read the notice again and send the form anew."
                )
                % {"version": self.version_label},
                code="policy_changed",
            )
        return cleaned

    def collected_categories(self) -> list[str]:
        """The categories this submission stores: filled personal fields and implicit ones."""
        found = set(self.implicit_categories)
        for name, field in self.fields.items():
            category = getattr(field, CATEGORY_ATTR, None)
            if category and self.cleaned_data.get(name) not in (None, ""):
                found.add(str(category))
        require_declared(point=self.point, categories=found, what=type(self).__name__)
        return sorted(found)

    def personal_data(self) -> dict[str, Any]:
        """Cleaned values of the fields that collect a declared category."""
        return {
            name: self.cleaned_data.get(name)
            for name, field in self.fields.items()
            if getattr(field, CATEGORY_ATTR, None)
        }

    def wanted_choices(self) -> dict[str, bool]:
        """Use key -> ticked, for every choice offered."""
        return {
            name[len(CHOICE_PREFIX) :]: bool(self.cleaned_data.get(name))
            for name in self.fields
            if name.startswith(CHOICE_PREFIX)
        }

    def _shown(self, name: str, answered: bool) -> bool:
        """The state box ``name`` showed: its hidden initial, sent back with the form. A client
        that sends no hidden initial told us nothing about an absent box (no answer: it counts
        as untouched); a box it sends ticked is compared with the current state."""
        bound = self[name]
        if bound.html_initial_name in self.data:
            hidden = bound.field.hidden_widget().value_from_datadict(
                self.data, self.files, bound.html_initial_name
            )
            return bool(bound.field.to_python(hidden))
        return bool(self.initial.get(name)) if answered else answered

    def answers(self) -> list[Answer]:
        """Every choice offered: what its box showed and what came back."""
        found = []
        for use in self.offered_uses():
            name = CHOICE_PREFIX + use.key
            if name in self.fields:
                answered = bool(self.cleaned_data.get(name))
                found.append(Answer(use.key, use.choice, self._shown(name, answered), answered))
        return found

    @enforces("BE-2", features=("consent.version-recorded",))
    def save_consent(
        self,
        *,
        subject: str,
        actor: Actor | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> list[ConsentEvent]:
        """Record this submission in the consent ledger under the policy version shown;
        ``evidence`` adds references (e.g. the stored request's) to the form and its hash."""
        return answers_record(
            subject=subject,
            answers=self.answers(),
            first_answer=not self.subject,
            notice_use=self.point.uses[0],
            source=f"form:{self.point.id}",
            policy=self.policy,
            version=self.version,
            evidence={
                **(evidence or {}),
                "form": self.point.id,
                "form_hash": consent_form_hash(shown=self.shown()),
            },
            actor=actor,
        )


def categories_by_use(form: CollectionPointForm, categories: Iterable[str]) -> dict[str, list[str]]:
    """Group ``categories`` under the first use of the point that the rulebook allows them for."""
    pairs = form.in_force.rulebook.use_categories
    grouped: dict[str, list[str]] = {}
    for category in categories:
        use = next((u for u in form.point.uses if (u, category) in pairs), form.point.uses[0])
        grouped.setdefault(use, []).append(category)
    return grouped


@enforces("QS-2", "BE-3")
def gate_submission(
    form: CollectionPointForm, *, actor: Actor, subject: str | None, recipient: str | None = None
) -> list[str]:
    """Ask the gate (of the policy the form was shown under) whether the point's uses may
    store what this submission collects. Raises ``PolicyViolation`` if refused; returns the
    categories stored."""
    categories = form.collected_categories()
    gate: Gate = form.in_force.gate(actor=actor)
    for use, cats in categories_by_use(form, categories).items():
        gate.require(
            use=use,
            categories=cats,
            subject=subject,
            recipient=recipient,
            purpose_context=f"form:{form.point.id}",
        )
    return categories


__all__ = [
    "CHOICE_PREFIX",
    "CollectionPointForm",
    "Notice",
    "UndeclaredCollection",
    "gate_submission",
]
