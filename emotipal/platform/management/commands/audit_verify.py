from typing import Any

from django.core.management.base import BaseCommand, CommandError

from emotipal.platform.audit import chain


class Command(BaseCommand):
    help = (
        "Seal the audit rows not sealed yet, then check the whole chain of seals: names the first row that "
        "was changed or deleted, or whose seal was removed. Exit status 1 when the chain is broken. "
        "Prints the head digest: keep it outside the database to show later that the chain was not rebuilt."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-seal", action="store_true", help="Only check; seal nothing first.")

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = 0 if options["no_seal"] else chain.seal_pending(limit=10**12)
        report = chain.verify()
        if report.first_break is not None:
            raise CommandError(
                f"audit chain BROKEN after {report.checked} good rows: {report.first_break.describe()}"
            )
        if report.unsealed_old:
            raise CommandError(
                f"audit chain has {report.unsealed_old} rows older than an hour that are not sealed "
                "(run without --no-seal, or check that the worker runs)"
            )
        self.stdout.write(f"audit chain intact: {report.checked} rows checked ({sealed} sealed now)")
        self.stdout.write(f"head digest: {report.head or '(empty)'}")
