"""Clear time zones back-office users picked in their Wagtail profile: everyone sees Beijing time."""

from django.db import migrations


def clear_profile_time_zones(apps, schema_editor):
    UserProfile = apps.get_model("wagtailusers", "UserProfile")
    UserProfile.objects.exclude(current_time_zone="").update(current_time_zone="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
    ]

    operations = [migrations.RunPython(clear_profile_time_zones, migrations.RunPython.noop)]
