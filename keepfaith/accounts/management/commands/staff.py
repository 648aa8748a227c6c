"""``keepfaith staff add|reset-password|reset-otp|list|code``: staff accounts, their password
and their second factor."""

from __future__ import annotations

import getpass
import os
import pwd
import secrets
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from keepfaith.accounts.models import User, normalise_email
from keepfaith.accounts.roles import ROLES
from keepfaith.accounts.selectors import staff_list
from keepfaith.accounts.services import (
    StaffAccountExists,
    UnknownRole,
    staff_create,
    staff_password_set,
    staff_totp_reset,
)
from keepfaith.accounts.totp import current_code, terminal_qr
from keepfaith.audit.services import Actor


def _actor() -> Actor:
    """Who ran the command, for the audit log: the operating-system account."""
    try:  # the account the process runs as (getpass would believe $USER)
        who = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        who = f"uid {os.getuid()}"
    return Actor.system(f"keepfaith staff (run by {who})")


class Command(BaseCommand):
    help = "Create staff accounts with roles and a TOTP second factor; list them; reset a factor."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create or update a staff account")
        add.add_argument("email")
        add.add_argument("--role", action="append", required=True, choices=ROLES)
        add.add_argument("--name", default="")
        add.add_argument(
            "--replace",
            action="store_true",
            help="the account exists: give it these roles, a new password and authenticator",
        )
        add.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input (else one is generated)",
        )
        password = sub.add_parser(
            "reset-password", help="give a staff account a new password (shown once)"
        )
        password.add_argument("email")
        password.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input (else one is generated)",
        )
        reset = sub.add_parser("reset-otp", help="replace the staff member's authenticator")
        reset.add_argument("email")
        sub.add_parser("list", help="list staff accounts and their roles")
        code = sub.add_parser("code", help="print the current TOTP code (development mode only)")
        code.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "reset-password":
            self._reset_password(options)
        elif action == "reset-otp":
            device = staff_totp_reset(user=self._staff(options["email"]), actor=_actor())
            self._show_device(device)
        elif action == "list":
            for user in staff_list():
                has_factor = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
                self.stdout.write(
                    f"{user.email}\t{', '.join(user.role_names)}\t"
                    f"{'2FA' if has_factor else 'NO 2FA'}"
                )
        else:
            if settings.PRODUCTION:
                raise CommandError("staff code is refused in production mode")
            device = TOTPDevice.objects.filter(user=self._staff(options["email"])).first()
            if device is None:
                raise CommandError("that staff account has no authenticator")
            self.stdout.write(current_code(device))

    def _staff(self, email: str) -> User:
        user = User.objects.filter(email=normalise_email(email), is_staff=True).first()
        if user is None:
            raise CommandError(f"no staff account {email}")
        return user

    @staticmethod
    def _password(options: dict[str, Any]) -> str:
        if not options["password_stdin"]:
            return secrets.token_urlsafe(18)
        return sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()

    def _reset_password(self, options: dict[str, Any]) -> None:
        user = self._staff(options["email"])
        password = self._password(options)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(f"{user.email}: {'; '.join(exc.messages)}") from exc
        staff_password_set(user=user, password=password, actor=_actor())
        self.stdout.write(f"new password for {user.email}; every session of it has ended")
        if not options["password_stdin"]:
            self.stdout.write(f"password (shown once): {password}")

    def _add(self, options: dict[str, Any]) -> None:
        generated = not options["password_stdin"]
        password = self._password(options)
        try:
            validate_password(password)
            user, device = staff_create(
                email=options["email"],
                password=password,
                roles=options["role"],
                full_name=options["name"],
                actor=_actor(),
                replace=options["replace"],
            )
        except (ValidationError, UnknownRole, StaffAccountExists, ValueError) as exc:
            raise CommandError(
                f"{options['email'] or '(no address)'}: "
                f"{'; '.join(getattr(exc, 'messages', [str(exc)]))}"
            ) from None
        self.stdout.write(f"staff account {user.email} with roles {', '.join(user.role_names)}")
        if generated:
            self.stdout.write(f"password (shown once): {password}")
        self._show_device(device)

    def _show_device(self, device: TOTPDevice) -> None:
        self.stdout.write(
            "Give this to the staff member in person, once; they add it to an authenticator app:"
        )
        self.stdout.write(device.config_url)
        self.stdout.write(terminal_qr(device.config_url))
