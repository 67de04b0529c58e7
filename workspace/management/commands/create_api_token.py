from django.core.management.base import BaseCommand, CommandError

from workspace.tokens import SCOPES, api_token_create


class Command(BaseCommand):
    help = "Create a REST API token and print it once (only its digest is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument(
            "--scopes",
            nargs="*",
            default=SCOPES,
            help=f"Any of: {' '.join(SCOPES)} (default: all).",
        )

    def handle(self, *args, name: str, scopes: list[str], **options):
        try:
            token, secret = api_token_create(name=name, scopes=scopes)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Token “{token.name}” with scopes {', '.join(token.scopes)}. "
            "Copy it now: it cannot be shown again."
        )
        self.stdout.write(secret)
