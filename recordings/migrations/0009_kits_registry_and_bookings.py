"""Kits registry: kits assigned to visits (no more bare number), bookings safe in the database (ADR 27)."""

import django.db.models.deletion
import django.db.models.functions.text
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

KIT_NAME = "Alat rekam %d"
ACTIVE = ("planned", "in_progress", "done")


def assign_existing_visits(apps, schema_editor):
    """Give every existing visit as many real kits as its old number said.

    Kits "Alat rekam 1..N" are created, N being the most kits the active visits of one day used
    together, and each day's visits take consecutive kits, so no kit is on two active visits the
    same day. Team links get their day copied by the trigger; a person on two active visits of one
    day keeps the earlier visit and is taken off the later one, which says so in its notes.
    """
    Kit = apps.get_model("recordings", "Kit")
    VisitKit = apps.get_model("recordings", "VisitKit")
    VisitTeamMember = apps.get_model("recordings", "VisitTeamMember")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, date, status, legacy_kits FROM recordings_visit ORDER BY date, id")
        visits = cursor.fetchall()
    if not visits:
        return
    per_day: dict = {}
    wanted = []
    for visit_id, day, status, count in visits:
        count = max(1, count or 1)
        if status in ACTIVE:
            first = per_day.get(day, 0)
            per_day[day] = first + count
        else:
            first = 0
        wanted.append((visit_id, range(first, first + count)))
    needed = max([*per_day.values(), *(len(numbers) for _, numbers in wanted)])
    existing = {kit.name: kit for kit in Kit.objects.all()}
    kits = []
    for n in range(1, needed + 1):
        kit = existing.get(KIT_NAME % n) or Kit.objects.create(name=KIT_NAME % n, status="siap")
        kits.append(kit)
    VisitKit.objects.bulk_create(
        [VisitKit(visit_id=visit_id, kit=kits[i]) for visit_id, numbers in wanted for i in numbers], batch_size=1000
    )
    seen = set()
    for link in VisitTeamMember.objects.select_related("visit", "user").order_by("visit__date", "visit_id", "pk"):
        if link.visit.status not in ACTIVE:
            continue
        key = (link.user_id, link.visit.date)
        if key in seen:
            visit = link.visit
            name = f"{link.user.first_name} {link.user.last_name}".strip() or link.user.username
            visit.notes = (visit.notes + "\n" if visit.notes else "") + (
                f"Tim: {name} dikeluarkan saat migrasi karena sudah bertugas di kunjungan lain pada hari yang sama."
            )
            visit.save(update_fields=["notes"])
            link.delete()
            continue
        seen.add(key)
    with schema_editor.connection.cursor() as cursor:
        # Fire the link rows' trigger once so each row takes its visit's day and status.
        cursor.execute("UPDATE recordings_visitteammember SET visit_id = visit_id")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("recordings", "0008_visit_start_time"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Kit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="nama / nomor seri")),
                (
                    "status",
                    models.CharField(
                        choices=[("siap", "Siap"), ("rusak", "Rusak"), ("dipinjam", "Dipinjam")],
                        default="siap",
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="catatan")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="dibuat")),
            ],
            options={
                "verbose_name": "alat perekaman",
                "verbose_name_plural": "alat perekaman",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="KitEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("name", models.CharField(max_length=100, verbose_name="nama / nomor seri")),
                (
                    "status",
                    models.CharField(
                        choices=[("siap", "Siap"), ("rusak", "Rusak"), ("dipinjam", "Dipinjam")],
                        default="siap",
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="catatan")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="dibuat")),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="VisitKit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(editable=False, null=True, verbose_name="tanggal")),
                ("active", models.BooleanField(default=True, editable=False, verbose_name="memakai alat")),
            ],
            options={
                "verbose_name": "alat kunjungan",
                "verbose_name_plural": "alat kunjungan",
            },
        ),
        migrations.CreateModel(
            name="VisitKitEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                ("date", models.DateField(editable=False, null=True, verbose_name="tanggal")),
                ("active", models.BooleanField(default=True, editable=False, verbose_name="memakai alat")),
            ],
            options={
                "abstract": False,
            },
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="visit",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="visit",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="visit",
            name="delete_delete",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="visitteammember",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="visitteammember",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="visitteammember",
            name="delete_delete",
        ),
        migrations.RemoveConstraint(
            model_name="visit",
            name="visit_kits_positive",
        ),
        migrations.RemoveField(
            model_name="visitevent",
            name="kits",
        ),
        migrations.AddField(
            model_name="visitteammember",
            name="active",
            field=models.BooleanField(default=True, editable=False, verbose_name="bertugas"),
        ),
        migrations.AddField(
            model_name="visitteammember",
            name="date",
            field=models.DateField(editable=False, null=True, verbose_name="tanggal"),
        ),
        migrations.AddField(
            model_name="visitteammemberevent",
            name="active",
            field=models.BooleanField(default=True, editable=False, verbose_name="bertugas"),
        ),
        migrations.AddField(
            model_name="visitteammemberevent",
            name="date",
            field=models.DateField(editable=False, null=True, verbose_name="tanggal"),
        ),
        # The old number of kits stays in the table (as legacy_kits) until the data step below has
        # given every visit that many real kits.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE recordings_visit RENAME COLUMN kits TO legacy_kits",
                    "ALTER TABLE recordings_visit RENAME COLUMN legacy_kits TO kits",
                )
            ],
            state_operations=[migrations.RemoveField(model_name="visit", name="kits")],
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visit",
            trigger=pgtrigger.compiler.Trigger(
                name="visit_booking_follows_visit",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."date" IS DISTINCT FROM (NEW."date") OR OLD."status" IS DISTINCT FROM (NEW."status"))',
                    func="UPDATE recordings_visitkit SET date = NEW.date WHERE visit_id = NEW.id; UPDATE recordings_visitteammember SET date = NEW.date WHERE visit_id = NEW.id; RETURN NULL;",
                    hash="9b3ab28900e855c51bb46c89e5e7cda2d036fdb8",
                    operation='UPDATE OF "date", "status"',
                    pgid="pgtrigger_visit_booking_follows_visit_e13fa",
                    table="recordings_visit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visit",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_visitevent" ("created_at", "created_by_id", "date", "drive_id", "finished_at", "id", "notes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "postponement_note", "postponement_reason", "replaces_id", "school_id", "start_time", "started_at", "status") VALUES (NEW."created_at", NEW."created_by_id", NEW."date", NEW."drive_id", NEW."finished_at", NEW."id", NEW."notes", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."postponement_note", NEW."postponement_reason", NEW."replaces_id", NEW."school_id", NEW."start_time", NEW."started_at", NEW."status"); RETURN NULL;',
                    hash="936ab58f8cf03647099a01295aae8e7eb4c01bcd",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_62ace",
                    table="recordings_visit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visit",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "recordings_visitevent" ("created_at", "created_by_id", "date", "drive_id", "finished_at", "id", "notes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "postponement_note", "postponement_reason", "replaces_id", "school_id", "start_time", "started_at", "status") VALUES (NEW."created_at", NEW."created_by_id", NEW."date", NEW."drive_id", NEW."finished_at", NEW."id", NEW."notes", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."postponement_note", NEW."postponement_reason", NEW."replaces_id", NEW."school_id", NEW."start_time", NEW."started_at", NEW."status"); RETURN NULL;',
                    hash="f9d00b407cde7f68faf80399b0d674dda3686ef5",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_01210",
                    table="recordings_visit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visit",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_visitevent" ("created_at", "created_by_id", "date", "drive_id", "finished_at", "id", "notes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "postponement_note", "postponement_reason", "replaces_id", "school_id", "start_time", "started_at", "status") VALUES (OLD."created_at", OLD."created_by_id", OLD."date", OLD."drive_id", OLD."finished_at", OLD."id", OLD."notes", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."postponement_note", OLD."postponement_reason", OLD."replaces_id", OLD."school_id", OLD."start_time", OLD."started_at", OLD."status"); RETURN NULL;',
                    hash="28e01598861d301ad242ac1d11e0e54ac0c4020c",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_d22bc",
                    table="recordings_visit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitteammember",
            trigger=pgtrigger.compiler.Trigger(
                name="visit_team_booking",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="SELECT v.date, v.status IN ('planned', 'in_progress', 'done') INTO NEW.date, NEW.active FROM recordings_visit v WHERE v.id = NEW.visit_id; RETURN NEW;",
                    hash="70676b354b07babed63603381727c94d6231742e",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_visit_team_booking_d5df9",
                    table="recordings_visitteammember",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitteammember",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_visitteammemberevent" ("active", "date", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "user_id", "visit_id") VALUES (NEW."active", NEW."date", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."user_id", NEW."visit_id"); RETURN NULL;',
                    hash="bee684da72519613c2d400fc0bf66f61123516ba",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_fc523",
                    table="recordings_visitteammember",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitteammember",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "recordings_visitteammemberevent" ("active", "date", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "user_id", "visit_id") VALUES (NEW."active", NEW."date", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."user_id", NEW."visit_id"); RETURN NULL;',
                    hash="ef783052d3c07be83133104279274a4155f4750d",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_16e64",
                    table="recordings_visitteammember",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitteammember",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_visitteammemberevent" ("active", "date", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "user_id", "visit_id") VALUES (OLD."active", OLD."date", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."user_id", OLD."visit_id"); RETURN NULL;',
                    hash="321448c62c605405666b3a92f4c18bf8c41559c1",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_112a2",
                    table="recordings_visitteammember",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="kit",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"), name="kit_name_unique_ci"
            ),
        ),
        migrations.AddConstraint(
            model_name="kit",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["siap", "rusak", "dipinjam"])), name="kit_status_valid"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="kit",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_kitevent" ("created_at", "id", "name", "note", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status") VALUES (NEW."created_at", NEW."id", NEW."name", NEW."note", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."status"); RETURN NULL;',
                    hash="98154001873bfb4d938d23ef498530a0f8a12cb0",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_1ddba",
                    table="recordings_kit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="kit",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "recordings_kitevent" ("created_at", "id", "name", "note", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status") VALUES (NEW."created_at", NEW."id", NEW."name", NEW."note", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."status"); RETURN NULL;',
                    hash="46fb20e53c4c455caae89448a486d85c31fddb47",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_b8df0",
                    table="recordings_kit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="kit",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_kitevent" ("created_at", "id", "name", "note", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status") VALUES (OLD."created_at", OLD."id", OLD."name", OLD."note", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."status"); RETURN NULL;',
                    hash="01d15c883da4977d01b6d639a94315138bdf08a9",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_a203b",
                    table="recordings_kit",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddField(
            model_name="kitevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="kitevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="recordings.kit",
            ),
        ),
        migrations.AddField(
            model_name="visitkit",
            name="kit",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visit_links",
                to="recordings.kit",
                verbose_name="alat",
            ),
        ),
        migrations.AddField(
            model_name="visitkit",
            name="visit",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="kit_links", to="recordings.visit"
            ),
        ),
        migrations.AddField(
            model_name="visitkitevent",
            name="kit",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="recordings.kit",
                verbose_name="alat",
            ),
        ),
        migrations.AddField(
            model_name="visitkitevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="visitkitevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="recordings.visitkit",
            ),
        ),
        migrations.AddField(
            model_name="visitkitevent",
            name="visit",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="recordings.visit",
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="kits",
            field=models.ManyToManyField(
                blank=True,
                related_name="visits",
                through="recordings.VisitKit",
                to="recordings.kit",
                verbose_name="alat perekaman",
            ),
        ),
        migrations.AddConstraint(
            model_name="visitkit",
            constraint=models.UniqueConstraint(fields=("visit", "kit"), name="visit_kit_unique"),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitkit",
            trigger=pgtrigger.compiler.Trigger(
                name="visit_kit_booking",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="SELECT v.date, v.status IN ('planned', 'in_progress', 'done') INTO NEW.date, NEW.active FROM recordings_visit v WHERE v.id = NEW.visit_id; RETURN NEW;",
                    hash="0d5bede2170290493ae45f9cd52c98c48201dbcd",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_visit_kit_booking_fe59e",
                    table="recordings_visitkit",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitkit",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_visitkitevent" ("active", "date", "id", "kit_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "visit_id") VALUES (NEW."active", NEW."date", NEW."id", NEW."kit_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."visit_id"); RETURN NULL;',
                    hash="260edb62bb063fa481d1f09927e8a2e231fd881f",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_dc479",
                    table="recordings_visitkit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitkit",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "recordings_visitkitevent" ("active", "date", "id", "kit_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "visit_id") VALUES (NEW."active", NEW."date", NEW."id", NEW."kit_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."visit_id"); RETURN NULL;',
                    hash="4cbde4512811ac8626c1d27982a5ea3c5d3c189c",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_386b9",
                    table="recordings_visitkit",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="visitkit",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "recordings_visitkitevent" ("active", "date", "id", "kit_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "visit_id") VALUES (OLD."active", OLD."date", OLD."id", OLD."kit_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."visit_id"); RETURN NULL;',
                    hash="a99b8545bc800b347ceb6cc6fb7d8680eb47ab7b",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_907cc",
                    table="recordings_visitkit",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunPython(assign_existing_visits, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="visitteammember",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("user", "date"),
                name="visit_team_member_one_visit_per_day",
            ),
        ),
        migrations.AddConstraint(
            model_name="visitkit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)), fields=("kit", "date"), name="visit_kit_one_visit_per_day"
            ),
        ),
        migrations.RunSQL(
            "ALTER TABLE recordings_visit DROP COLUMN legacy_kits",
            "ALTER TABLE recordings_visit ADD COLUMN legacy_kits smallint NOT NULL DEFAULT 1",
        ),
    ]
