"""manage.py import_inventory FILE.xlsx — load estates, buildings, units and owners (all or nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from estates.inventory import inventory_import


class Command(BaseCommand):
    help = (
        "Import the estate inventory from an .xlsx workbook with the sheets 小区/estates, 楼栋/buildings, "
        "房屋/units and 业主/owners (layout: the estates.inventory package docstring). Nothing is written if any row is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / No such file: {file}")
        report = inventory_import(file=path)
        if report.errors:
            lines = [str(error) for error in report.errors]
            for line in lines:
                self.stderr.write(line)
            summary = report.summary()
            # From the shell the lines are already on stderr; a caller of call_command gets them
            # in the exception as well.
            if getattr(self, "_called_from_command_line", False):
                raise CommandError(summary)
            raise CommandError("\n".join([summary, *lines]))
        for kind, created, updated in report.rows():
            self.stdout.write(f"{kind}: {created} created, {updated} updated")
        self.stdout.write(f"total: {report.total_created} created, {report.total_updated} updated")
        self.stdout.write(self.style.SUCCESS(f"导入完成 / Import complete: {path.name}"))
