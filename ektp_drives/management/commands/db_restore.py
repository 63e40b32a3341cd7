"""``manage.py db_restore``: restore a db_backup dump into the database or into a new one."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ektp_drives import backup


class Command(BaseCommand):
    help = (
        "Restore a dump made by db_backup. Without --database it REPLACES the configured database "
        "(after asking and saving a safety backup of it into BACKUP_DIR); stop the app servers first. "
        "The restore runs in one transaction: if it fails, nothing changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("dump", type=Path, help="The .dump file to restore.")
        parser.add_argument(
            "--database",
            metavar="NAME",
            help="Restore into this database on the same server instead of the configured one.",
        )
        parser.add_argument("--create", action="store_true", help="Create the --database first (it must not exist).")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument(
            "--no-safety-backup",
            action="store_false",
            dest="safety_backup",
            help="Do not dump the configured database before replacing it.",
        )

    def handle(self, *args, dump, database=None, create=False, interactive=True, safety_backup=True, **options):
        try:
            configured = backup.configured_database()
            target = configured.other(database) if database else configured
            replacing_configured = target.name == configured.name
            if create:
                if replacing_configured:
                    raise CommandError("--create needs --database with the name of a new database.")
                if backup.database_exists(target):
                    raise CommandError(f"Database {target.name} already exists.")
            elif not backup.database_exists(target):
                raise CommandError(f"Database {target.name} does not exist (add --create).")

            if not create:  # an existing database is replaced: ask, and keep a copy of what it held
                if interactive:
                    answer = input(
                        f"This replaces ALL data in database {target.name!r} with {dump}. Type 'yes' to go on: "
                    )
                    if answer.strip().lower() != "yes":
                        raise CommandError("Restore cancelled.")
                if safety_backup:
                    saved = backup.backup(
                        output=backup.default_backup_path(settings.BACKUP_DIR).with_suffix(".pre-restore.dump"),
                        database=target,
                    )
                    self.stdout.write(f"Safety backup of the current data: {saved}")
                if replacing_configured:
                    connections.close_all()  # our own idle connection must not hold the schema
            if create:
                backup.create_database(target)
            try:
                backup.restore(dump=dump, database=target)
            except backup.BackupError:
                if create:
                    backup.drop_database(target)
                raise
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {dump} into database {target.name}.")
        if replacing_configured:
            self.stdout.write("Now run `python manage.py migrate` if the app is newer than the backup.")
