"""Replace Wagtail's placeholder welcome page with Anju's home page as the default site's root."""

from django.db import migrations


def forwards(apps, schema_editor):
    content_type_model = apps.get_model("contenttypes.ContentType")
    page_model = apps.get_model("wagtailcore.Page")
    site_model = apps.get_model("wagtailcore.Site")
    locale_model = apps.get_model("wagtailcore.Locale")
    home_model = apps.get_model("cms.HomePage")

    if home_model.objects.exists():
        return
    placeholder_type = content_type_model.objects.get(app_label="wagtailcore", model="page")
    page_model.objects.filter(content_type=placeholder_type, depth=2, slug="home").delete()
    home_type, _ = content_type_model.objects.get_or_create(app_label="cms", model="homepage")
    root = page_model.objects.get(depth=1)
    locale = locale_model.objects.order_by("pk").first()
    home = home_model.objects.create(
        title="安居 · 老旧小区改造后的运营平台",
        draft_title="安居 · 老旧小区改造后的运营平台",
        slug="home",
        content_type=home_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale_id=locale.pk,
        intro="<p>重庆市城镇老旧小区改造提升后的物业管理、缴费、业主议事与房源共享平台。</p>",
        live=True,
    )
    root.numchild = page_model.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    site_model.objects.filter(is_default_site=True).delete()
    site_model.objects.create(hostname="localhost", port=80, root_page_id=home.pk, is_default_site=True, site_name="安居 Anju")


def backwards(apps, schema_editor):
    apps.get_model("cms.HomePage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial"), ("wagtailcore", "0098_apitoken")]
    operations = [migrations.RunPython(forwards, backwards)]
