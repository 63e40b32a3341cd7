from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recordings.demo import DEMO_PASSWORD, seed_demo_season


class Command(BaseCommand):
    help = (
        "Seed the demo season (only when the database holds no schools, students or drives). "
        "Refused when DEBUG is off: the demo accounts have a published password."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Seed even though DEBUG is off (a test or staging server, never a real one).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "DEBUG is off (a real server?): seed_demo would create accounts with a published password. "
                "If this is not production, add --i-know-this-is-not-production."
            )
        result = seed_demo_season()
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(f"Demo season created: {result.schools} schools, {result.students} students.")
            )
        else:
            self.stdout.write("Database already holds data: demo season not seeded again.")
        if result.usernames:
            self.stdout.write(f"\nDemo accounts (password '{DEMO_PASSWORD}', change them before real use):")
            for username in result.usernames[:3]:
                self.stdout.write(f"  {username}")
            schools = [u for u in result.usernames if u.startswith("sekolah-")]
            if schools:
                self.stdout.write(f"  sekolah-<NPSN> for each school ({len(schools)}), e.g. {schools[0]}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ (Django admin: /admin/, user 'admin').")
