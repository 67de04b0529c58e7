from django.core.management.base import BaseCommand, CommandError

from contacts.projection import contact_list_differences, contact_list_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the contact list's read model from the primary data, or with --check report "
        "the rows that differ from it (exit status 1 when any do)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only compare; change nothing.")

    def handle(self, *args, check: bool, **options):
        if check:
            differing = contact_list_differences()
            if differing:
                shown = ", ".join(map(str, differing[:20]))
                more = f" and {len(differing) - 20} more" if len(differing) > 20 else ""
                raise CommandError(
                    f"{len(differing)} contact list row(s) differ from the contacts: ids {shown}"
                    f"{more}. Run `manage.py rebuild_contact_list` to fix them."
                )
            self.stdout.write(self.style.SUCCESS("The contact list matches the contacts."))
            return
        written = contact_list_rebuild()
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt the contact list: {written} row(s) written.")
        )
