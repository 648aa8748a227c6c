"""Posting a form the way a browser posts what the page showed."""

from __future__ import annotations

from typing import Any

from django import forms


def as_posted(form: forms.Form, **values: Any) -> dict[str, str]:
    """What a browser sends for unbound ``form`` as rendered: each field's initial value,
    ticked boxes as ``on``, the hidden initials of ``show_hidden_initial`` fields; then
    ``values`` as the person changed them (``True``/``False`` tick or untick a box)."""
    data: dict[str, str] = {}
    for name, field in form.fields.items():
        bound = form[name]
        initial = bound.value()
        if isinstance(field, forms.BooleanField):
            if initial:
                data[name] = "on"
        elif initial not in (None, ""):
            data[name] = str(initial)
        if field.show_hidden_initial:
            data[bound.html_initial_name] = str(bool(initial))
    for name, value in values.items():
        if value is True:
            data[name] = "on"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = str(value)
    return data
