"""Relabel the audit-log entries written before personal objects were logged by kind and number.

Wagtail keeps ``str(obj)`` as each entry's label: an owner's name, "name · choice" for a ballot.
New entries are relabelled as they are written (accounts.audit); this does the same for old ones.
"""

from django.db import migrations

#: The models whose str names a person (they set ``log_label_is_personal``).
PERSONAL = [
    ("accounts", "user"),
    ("estates", "owner"),
    ("estates", "ownership"),
    ("estates", "personaldataaccess"),
    ("property_services", "ballot"),
    ("property_services", "committeemember"),
    ("property_services", "providercontact"),
    ("property_services", "voterdesignation"),
]


def relabel(apps, schema_editor):
    from django.apps import apps as current_apps

    from accounts.audit import personal_log_label

    ContentType = apps.get_model("contenttypes", "ContentType")
    ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
    for app_label, model_name in PERSONAL:
        content_type = ContentType.objects.filter(app_label=app_label, model=model_name).first()
        if content_type is None:
            continue
        model = current_apps.get_model(app_label, model_name)
        entries = ModelLogEntry.objects.filter(content_type=content_type).only("pk", "object_id", "label")
        for entry in entries.iterator(chunk_size=1000):
            label = personal_log_label(model, entry.object_id)
            if entry.label != label:
                ModelLogEntry.objects.filter(pk=entry.pk).update(label=label)


class Migration(migrations.Migration):
    dependencies = [
        ("property_services", "0009_assembly_created_by"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        ("accounts", "0001_initial"),
        ("estates", "0001_initial"),
    ]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop)]
