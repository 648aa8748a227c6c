"""The card vault: card numbers validated, sealed at rest, shown masked, disclosed only to the
payment processor. Pure Python (no Django); the models, the gate and the audit log plug in
through the small seams of :mod:`keepfaith.vault.cardstore`.

Modules: ``cards`` (values and validation), ``keyring`` (key-encrypting keys), ``envelope``
(the sealed format), ``cardstore`` (store / disclose), ``processors`` (payment adapters),
``scrub`` (logging filters).
"""
