"""Forms of the public certificate tools (SITE-4). None of them stores anything."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from keepfaith.certs.inputs import MAX_INPUT_BYTES
from keepfaith.collection.fields import VisibleTextForm

PEM_WIDGET = forms.Textarea(attrs={"rows": 10, "cols": 70, "spellcheck": "false"})


class CsrCheckForm(forms.Form):
    csr = forms.CharField(
        label=_("Certificate signing request (PEM)"),
        required=False,
        widget=PEM_WIDGET,
        max_length=MAX_INPUT_BYTES,
    )
    csr_file = forms.FileField(label=_("…or upload the CSR file (PEM or DER)"), required=False)
    names = forms.CharField(
        label=_("Names you are ordering (optional, comma-separated)"),
        required=False,
        max_length=2000,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload: UploadedFile | None = data.get("csr_file")
        if upload is not None:
            data["csr_bytes"] = upload.read(MAX_INPUT_BYTES + 1)
        elif data.get("csr", "").strip():
            data["csr_bytes"] = data["csr"].encode("utf-8")
        else:
            raise forms.ValidationError(_("Paste a CSR or upload its file."))
        return data


class KeyMatchForm(forms.Form):
    certificate = forms.CharField(
        label=_("Certificate (PEM)"), widget=PEM_WIDGET, max_length=MAX_INPUT_BYTES
    )
    other = forms.CharField(
        label=_("Certificate request or public key (PEM), never the private key"),
        widget=PEM_WIDGET,
        max_length=MAX_INPUT_BYTES,
    )


class ServerTestForm(VisibleTextForm):
    target = forms.CharField(
        label=_("Host name (and port, e.g. mail.example.com:993)"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "www.example.com", "size": 40}),
    )


class CertificateSetupForm(VisibleTextForm):
    """The names and the CSR of one certificate bought in the shop (``certificate_setup``)."""

    names = forms.CharField(
        label=_("Domain names, one per line"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50, "spellcheck": "false"}),
        max_length=10000,
    )
    csr = forms.CharField(
        label=_("Certificate signing request (PEM)"),
        required=False,
        widget=PEM_WIDGET,
        max_length=MAX_INPUT_BYTES,
    )
    csr_file = forms.FileField(label=_("…or upload the CSR file (PEM or DER)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload: UploadedFile | None = data.get("csr_file")
        if upload is not None:
            data["csr_bytes"] = upload.read(MAX_INPUT_BYTES + 1)
        elif data.get("csr", "").strip():
            data["csr_bytes"] = data["csr"].encode("utf-8")
        else:
            raise forms.ValidationError(_("Paste a CSR or upload its file."))
        return data

    def name_list(self) -> list[str]:
        text = self.cleaned_data.get("names", "")
        return [n.strip() for n in text.replace(",", "\n").splitlines() if n.strip()]


class ReissueForm(VisibleTextForm):
    """A new CSR for a certificate already issued (a new key)."""

    csr = forms.CharField(
        label=_("New certificate signing request (PEM)"),
        widget=PEM_WIDGET,
        max_length=MAX_INPUT_BYTES,
    )
