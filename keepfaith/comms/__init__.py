"""Mail: inbound opt-outs to the unsubscribe and privacy addresses, unsubscribe links.

Pure modules (no Django): ``inbound`` (reading and parsing received mail), ``optout``
(what a message asks for), ``unsubscribe`` (signed one-click links and their headers),
``listener`` (the SMTP listener on loopback). See ``docs/mail.md``.
"""
