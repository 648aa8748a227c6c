"""What changed between two policy versions, in sentences a customer reads (EN/DA).

``diff.diff_to_text`` is the privacy officer's view (``keepfaith policy diff``: keys, fields,
``14d -> 7d``). The update page and the change notice say the same changes in the policy's
own names: a use by its name, a data category by its name, a recipient by its name, a period
in words. One sentence per change; nothing here invents a change the diff does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from keepfaith.policy import phrases as ph
from keepfaith.policy.diff import FieldChange, ItemChanged, KindDiff, PolicyDiff
from keepfaith.policy.jurisdiction import choice_as_asked
from keepfaith.policy.schema import Policy, text_in

Words = dict[str, str]
SENTENCES: dict[str, Words] = {
    "en": {
        "use.added": "New: we use your data for “{name}”.",
        "use.added.data": "New: we use your data for “{name}” ({data}).",
        "use.removed": "We no longer use your data for “{name}”.",
        "use.data": "For “{name}” we now use: {data}.",
        "use.changed": "We changed how we describe “{name}”.",
        "use.changed.who": "“{name}” now concerns other people than before.",
        "use.changed.basis": "“{name}” now rests on another legal basis: {basis}.",
        "category.added": "We now process {name}.",
        "category.removed": "We no longer process {name}.",
        "collected.added": "The form “{form}” now asks for {name}.",
        "collected.removed": "The form “{form}” no longer asks for {name}.",
        "collected.required": "On the form “{form}”, {name} is now required.",
        "collected.optional": "On the form “{form}”, {name} is now optional.",
        "recipient.added": "{name} now receives data from us.",
        "recipient.removed": "{name} no longer receives data from us.",
        "recipient.changed": "What {name} receives from us has changed.",
        "choice": "“{name}”: {after} (before: {before}).",
        "retention": "{what}: kept {after} (before: {before}).",
        "retention.raw_ip": "Full IP addresses in our web server logs",
        "retention.kept": "What we must keep after you close your account, for {store}",
        "cookie.added": "New cookie “{name}”, kept {lifetime}.",
        "cookie.removed": "We no longer set the cookie “{name}”.",
        "cookie.lifetime": "The cookie “{name}” is now kept {after} (before: {before}).",
        "cookie.changed": "We changed what we say about the cookie “{name}”.",
        "mail.added": "New kind of e-mail: {name}.",
        "mail.removed": "We no longer send: {name}.",
        "mail.changed": "We changed the e-mail {name}.",
        "form.added": "New form: “{name}”.",
        "form.removed": "The form “{name}” is gone.",
        "form.changed": "We changed the form “{name}”.",
        "property.added": "The policy now also covers {name}.",
        "property.removed": "The policy no longer covers {name}.",
        "property.changed": "We changed what the policy says about {name}.",
        "controller": "Our company details (name, address or contact addresses) changed.",
    },
    "da": {
        "use.added": "Nyt: vi bruger dine oplysninger til »{name}«.",
        "use.added.data": "Nyt: vi bruger dine oplysninger til »{name}« ({data}).",
        "use.removed": "Vi bruger ikke længere dine oplysninger til »{name}«.",
        "use.data": "Til »{name}« bruger vi nu: {data}.",
        "use.changed": "Vi har ændret beskrivelsen af »{name}«.",
        "use.changed.who": "»{name}« gælder nu andre personer end før.",
        "use.changed.basis": "»{name}« bygger nu på et andet retsgrundlag: {basis}.",
        "category.added": "Vi behandler nu {name}.",
        "category.removed": "Vi behandler ikke længere {name}.",
        "collected.added": "Formularen »{form}« spørger nu om {name}.",
        "collected.removed": "Formularen »{form}« spørger ikke længere om {name}.",
        "collected.required": "I formularen »{form}« skal {name} nu udfyldes.",
        "collected.optional": "I formularen »{form}« er {name} nu frivilligt.",
        "recipient.added": "{name} modtager nu oplysninger fra os.",
        "recipient.removed": "{name} modtager ikke længere oplysninger fra os.",
        "recipient.changed": "Det, {name} modtager fra os, er ændret.",
        "choice": "»{name}«: {after} (før: {before}).",
        "retention": "{what}: gemmes {after} (før: {before}).",
        "retention.raw_ip": "Fulde IP-adresser i vores webserverlogge",
        "retention.kept": "Det, vi skal gemme, når du lukker din konto, til {store}",
        "cookie.added": "Ny cookie »{name}«, gemmes {lifetime}.",
        "cookie.removed": "Vi sætter ikke længere cookien »{name}«.",
        "cookie.lifetime": "Cookien »{name}« gemmes nu {after} (før: {before}).",
        "cookie.changed": "Vi har ændret beskrivelsen af cookien »{name}«.",
        "mail.added": "Ny slags e-mail: {name}.",
        "mail.removed": "Vi sender ikke længere: {name}.",
        "mail.changed": "Vi har ændret e-mailen {name}.",
        "form.added": "Ny formular: »{name}«.",
        "form.removed": "Formularen »{name}« er fjernet.",
        "form.changed": "Vi har ændret formularen »{name}«.",
        "property.added": "Politikken dækker nu også {name}.",
        "property.removed": "Politikken dækker ikke længere {name}.",
        "property.changed": "Vi har ændret, hvad politikken siger om {name}.",
        "controller": (
            "Vores virksomhedsoplysninger (navn, adresse eller kontaktadresser) er ændret."
        ),
    },
}


class _Names:
    """The policies' names for keys, in one language: the new version's first, else the
    old one's (for what it no longer has)."""

    def __init__(self, old: Policy, new: Policy, lang: str) -> None:
        self.old, self.new, self.lang = old, new, lang

    def _both(self, find: Callable[[Policy], str | None], fallback: str) -> str:
        return find(self.new) or find(self.old) or fallback

    @staticmethod
    def as_asked(choice: str, policy: Policy) -> str:
        """The phrase key for ``choice`` as ``policy``'s forms ask it (see jurisdiction)."""
        return choice_as_asked(choice, country=policy.controller.jurisdiction)

    def use(self, key: str) -> str:
        def find(policy: Policy) -> str | None:
            use = policy.use_by_key(key)
            return None if use is None else text_in(use.name, self.lang)

        return self._both(find, key.rsplit(".", 1)[-1].replace("_", " "))

    def category(self, key: str) -> str:
        def find(policy: Policy) -> str | None:
            declared = {c.key: text_in(c.name, self.lang) for c in policy.taxonomy.data_categories}
            return ph.category_name(key, self.lang, declared=declared)

        return self._both(find, key)

    def categories(self, keys: list[str]) -> str:
        return ph.join_words([self.category(key) for key in keys], self.lang)

    def form(self, point_id: str) -> str:
        def find(policy: Policy) -> str | None:
            point = policy.collection_point_by_id(point_id)
            return None if point is None else text_in(point.name, self.lang)

        return self._both(find, point_id.replace("-", " "))

    def recipient(self, key: str) -> str:
        kind, _, name = key.partition(":")
        if kind == "staff":
            words = ph.role_name(name, self.lang)
            return words[:1].upper() + words[1:]
        return self._both(lambda policy: policy.recipient_name(name, self.lang), name)

    def mail(self, key: str) -> str:
        def find(policy: Policy) -> str | None:
            kind = next((k for k in policy.mail_kinds if k.key == key), None)
            if kind is None:
                return None
            use = policy.use_by_key(kind.use)
            return f"“{text_in(use.name, self.lang)}”" if use is not None else None

        return self._both(find, key)

    def kept_use(self, store: str) -> str:
        """What a store kept after an erasure is kept for: its use's name (not the store's
        key, which is the software's)."""

        def find(policy: Policy) -> str | None:
            rights = policy.rights
            kept = next(
                (k for k in (rights.kept_after_erasure if rights else ()) if k.store == store), None
            )
            return None if kept is None else self.use(kept.use)

        return self._both(find, store.replace("_", " "))

    def site(self, key: str) -> str:
        def find(policy: Policy) -> str | None:
            found = next((p for p in policy.properties if p.key == key), None)
            return None if found is None else f"{found.name} ({found.base_url})"

        return self._both(find, key)


def _period(value: object, lang: str) -> str:
    return ph.retention_text(str(value), lang) if value else "—"


def _use_lines(kind: KindDiff, say: Words, names: _Names) -> Iterator[str]:
    for item in kind.added:
        use = names.new.use_by_key(item.key)
        data = names.categories(list(use.categories)) if use is not None else ""
        key = "use.added.data" if data else "use.added"
        yield say[key].format(name=names.use(item.key), data=data)
    for item in kind.removed:
        yield say["use.removed"].format(name=names.use(item.key))
    for changed in kind.changed:
        yield from _use_changes(changed, say, names)


def _use_changes(changed: ItemChanged, say: Words, names: _Names) -> Iterator[str]:
    name, said = names.use(changed.key), False
    for field in changed.fields:
        if field.field == "categories" and isinstance(field.after, list):
            yield say["use.data"].format(name=name, data=names.categories(list(field.after)))
            said = True
        elif field.field == "audience":
            yield say["use.changed.who"].format(name=name)
            said = True
        elif field.field == "legal_basis":
            basis = ph.legal_basis_name(str(field.after), names.lang)
            yield say["use.changed.basis"].format(name=name, basis=basis)
            said = True
    if not said:
        yield say["use.changed"].format(name=name)


def _simple(kind: KindDiff, say: Words, prefix: str, name: Callable[[str], str]) -> Iterator[str]:
    for item in kind.added:
        yield say[f"{prefix}.added"].format(name=name(item.key))
    for item in kind.removed:
        yield say[f"{prefix}.removed"].format(name=name(item.key))
    for changed in kind.changed:
        yield say[f"{prefix}.changed"].format(name=name(changed.key))


def _collected_lines(kind: KindDiff, say: Words, names: _Names) -> Iterator[str]:
    def parts(key: str) -> dict[str, str]:
        form, _, category = key.partition("/")
        return {"form": names.form(form), "name": names.category(category)}

    for item in kind.added:
        yield say["collected.added"].format(**parts(item.key))
    for item in kind.removed:
        yield say["collected.removed"].format(**parts(item.key))
    for changed in kind.changed:
        required = any(f.field == "required" and f.after for f in changed.fields)
        yield say["collected.required" if required else "collected.optional"].format(
            **parts(changed.key)
        )


def _retention_what(key: str, say: Words, names: _Names) -> str:
    if key == "log_files.raw_ip":
        return say["retention.raw_ip"]
    if key.startswith("kept_after_erasure."):
        store = key.removeprefix("kept_after_erasure.")
        return say["retention.kept"].format(store=names.kept_use(store))
    return f"“{names.use(key)}”" if names.lang == "en" else f"»{names.use(key)}«"


def _changed_field(changed: ItemChanged, name: str) -> FieldChange | None:
    return next((f for f in changed.fields if f.field == name), None)


def _kind_lines(kind: KindDiff, say: Words, names: _Names) -> Iterator[str]:
    lang = names.lang
    if kind.kind == "uses":
        yield from _use_lines(kind, say, names)
    elif kind.kind == "categories":
        yield from (say["category.added"].format(name=names.category(i.key)) for i in kind.added)
        yield from (
            say["category.removed"].format(name=names.category(i.key)) for i in kind.removed
        )
    elif kind.kind == "collected":
        yield from _collected_lines(kind, say, names)
    elif kind.kind == "recipients":
        yield from _simple(kind, say, "recipient", names.recipient)
    elif kind.kind == "choices":
        for changed in kind.changed:
            field = _changed_field(changed, "choice")
            if field is not None:
                yield say["choice"].format(
                    name=names.use(changed.key),
                    before=ph.choice_name(names.as_asked(str(field.before), names.old), lang),
                    after=ph.choice_name(names.as_asked(str(field.after), names.new), lang),
                )
    elif kind.kind == "retention":
        for changed in kind.changed:
            field = _changed_field(changed, "retention")
            if field is not None:
                yield say["retention"].format(
                    what=_retention_what(changed.key, say, names),
                    before=_period(field.before, lang),
                    after=_period(field.after, lang),
                )
    elif kind.kind == "cookies":
        yield from _cookie_lines(kind, say, names)
    elif kind.kind == "mail_kinds":
        yield from _simple(kind, say, "mail", names.mail)
    elif kind.kind == "collection_points":
        yield from _simple(kind, say, "form", names.form)
    elif kind.kind == "properties":
        yield from _simple(kind, say, "property", names.site)
    elif kind.kind == "controller" and kind.changed:
        yield say["controller"]


def _cookie_lines(kind: KindDiff, say: Words, names: _Names) -> Iterator[str]:
    lang = names.lang
    for item in kind.added:
        cookie = names.new.cookie_by_name(item.key)
        lifetime = ph.lifetime_text(cookie.lifetime, lang) if cookie is not None else "—"
        yield say["cookie.added"].format(name=item.key, lifetime=lifetime)
    for item in kind.removed:
        yield say["cookie.removed"].format(name=item.key)
    for changed in kind.changed:
        field = _changed_field(changed, "lifetime")
        if field is not None:
            yield say["cookie.lifetime"].format(
                name=changed.key,
                before=ph.lifetime_text(str(field.before), lang),
                after=ph.lifetime_text(str(field.after), lang),
            )
        else:
            yield say["cookie.changed"].format(name=changed.key)


def diff_sentences(diff: PolicyDiff, *, old: Policy, new: Policy, lang: str) -> list[str]:
    """The changes of ``diff`` (from ``old`` to ``new``) as sentences in ``lang``."""
    say = SENTENCES.get(lang, SENTENCES["en"])
    names = _Names(old, new, lang if lang in SENTENCES else "en")
    return [line for kind in diff.kinds for line in _kind_lines(kind, say, names)]
