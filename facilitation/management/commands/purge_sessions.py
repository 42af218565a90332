from django.conf import settings
from django.core.management.base import BaseCommand

from facilitation.retention import expired_sessions, purge_expired


class Command(BaseCommand):
    help = (
        "Delete the learner data of sessions that ended more than RETENTION_DAYS days ago (or --days). "
        "Meant for a scheduler (cron, systemd timer); every deletion is logged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override RETENTION_DAYS")
        parser.add_argument("--dry-run", action="store_true", help="list what would be deleted")

    def handle(self, *args, days, dry_run, **options):
        days = settings.RETENTION_DAYS if days is None else days
        if not days:
            self.stdout.write("Retention is off (RETENTION_DAYS=0): nothing deleted.")
            return
        if dry_run:
            for session in expired_sessions(days):
                self.stdout.write(f"Would delete learner data of {session}")
            return
        logs = purge_expired(days)
        for log in logs:
            self.stdout.write(f"Deleted learner data of {log.session_code} ({log.participants} learners).")
        self.stdout.write(f"{len(logs)} session(s) purged (older than {days} days).")
