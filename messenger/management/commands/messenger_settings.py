"""Scripted set-up of the messenger: change its settings and print the app id and secrets."""

import json

from django.core.management.base import BaseCommand, CommandError

from messenger.configuration import (
    MessengerSettingsError,
    messenger_secret_rotate,
    messenger_settings_update,
)
from messenger.models import MessengerSecret, SecretKind

ON_OFF = {"on": True, "off": False}


class Command(BaseCommand):
    help = (
        "Change the messenger's settings and print the app id and the current identity and JWT "
        "secrets (made if there are none yet)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--identity", choices=["off", "optional", "enforce"])
        parser.add_argument("--prevent-company-updates", choices=ON_OFF)
        parser.add_argument("--trusted-domain", action="append", metavar="ORIGIN")
        parser.add_argument("--allow-new-attributes", choices=ON_OFF)
        parser.add_argument("--json", action="store_true", help="One JSON object on stdout.")

    def handle(self, *args, **options):
        identity, jwt = self._secret(SecretKind.IDENTITY_WEB), self._secret(SecretKind.JWT)
        changes = {
            "identity_mode": options["identity"],
            "prevent_company_updates": ON_OFF.get(options["prevent_company_updates"]),
            "allow_new_attributes": ON_OFF.get(options["allow_new_attributes"]),
            "trusted_domains": options["trusted_domain"],
        }
        try:
            settings = messenger_settings_update(
                **{k: v for k, v in changes.items() if v is not None}
            )
        except MessengerSettingsError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"app_id": settings.app_id, "identity_secret": identity, "jwt_secret": jwt}
                )
            )
            return
        self.stdout.write(f"app_id: {settings.app_id}")
        self.stdout.write(f"identity verification: {settings.get_identity_mode_display()}")
        self.stdout.write(f"trusted domains: {', '.join(settings.trusted_domains) or 'none'}")
        self.stdout.write(f"identity secret (web): {identity}")
        self.stdout.write(f"Messenger API secret (JWT): {jwt}")

    def _secret(self, kind: str) -> str:
        current = MessengerSecret.objects.filter(kind=kind, expires_at__isnull=True).first()
        return current.secret if current is not None else messenger_secret_rotate(kind)
