"""Create the role groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPERVISOR = "Dukcapil supervisor"
OPERATOR = "Dukcapil operator"
SCHOOL_ADMIN = "School admin"

PERMISSIONS = {
    SUPERVISOR: {
        "schools": {"school": "vca", "student": "vca", "schooladmin": "vcad", "kecamatan": "v", "desa": "v"},
        "recordings": {
            "drive": "vca",
            "driveschool": "vcad",
            "visit": "vca",
            "visitteammember": "vcad",
            "recording": "vcad",
        },
    },
    OPERATOR: {
        "schools": {"school": "v", "student": "v", "kecamatan": "v", "desa": "v"},
        "recordings": {"drive": "v", "driveschool": "v", "visit": "vc", "visitteammember": "v", "recording": "vcad"},
    },
    SCHOOL_ADMIN: {
        "schools": {"school": "v", "student": "vca"},
        "recordings": {"drive": "v", "visit": "v"},
    },
}
ACTIONS = {"v": "view", "c": "change", "a": "add", "d": "delete"}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, apps_perms in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = [
            f"{ACTIONS[letter]}_{model}"
            for models in apps_perms.values()
            for model, letters in models.items()
            for letter in letters
        ]
        perms = Permission.objects.filter(content_type__app_label__in=list(apps_perms), codename__in=codenames)
        group.permissions.set(perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0002_initial"),
        ("schools", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
