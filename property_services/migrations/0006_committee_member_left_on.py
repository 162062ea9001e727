from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("property_services", "0005_voter_roll_and_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="committeemember",
            name="left_on",
            field=models.DateField(
                blank=True,
                help_text="The day the member stepped down or was removed; their back-office role ends the next day.",
                null=True,
                verbose_name="left on",
            ),
        ),
    ]
