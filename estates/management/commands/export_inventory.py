"""manage.py export_inventory FILE.xlsx [--estate CODE ...] — the inventory as an import-shaped workbook."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from estates.inventory import inventory_export
from estates.models import Estate, Ownership, Unit


class Command(BaseCommand):
    help = (
        "Export estates, buildings, units and current owners to an .xlsx workbook that import_inventory "
        "reads back unchanged. Run by an operator on the server, so ID numbers and phones are written in "
        "full unless --masked is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook to write")
        parser.add_argument("--estate", action="append", default=[], metavar="CODE", help="only this estate (repeatable)")
        parser.add_argument("--masked", action="store_true", help="write masked ID numbers and phones")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the column headers (default: %(default)s); the import reads either",
        )

    def handle(self, *args, file, estate, masked, language, **options):
        file = str(file)
        if not file.lower().endswith(".xlsx"):
            raise CommandError("文件名须以 .xlsx 结尾 / The file name must end in .xlsx")
        estates = Estate.objects.all()
        if estate:
            estates = estates.filter(code__in=estate)
            missing = sorted(set(estate) - set(estates.values_list("code", flat=True)))
            if missing:
                raise CommandError(f"未知的小区编码 / Unknown estate code: {', '.join(missing)}")
        try:
            with translation.override(language):
                inventory_export(file=file, estates_qs=estates, mask_personal_data=masked)
        except OSError as exc:
            raise CommandError(f"无法写入文件 / Cannot write {file}: {exc}") from exc
        units = Unit.objects.filter(building__estate__in=estates).count()
        owners = Ownership.objects.filter(unit__building__estate__in=estates, until__isnull=True).count()
        self.stdout.write(
            self.style.SUCCESS(f"导出完成 / Exported {estates.count()} estates, {units} units, {owners} ownerships to {file}")
        )
