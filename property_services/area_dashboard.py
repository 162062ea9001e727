"""The officers' area dashboards (issue 14): a sub-district or a district, across the estates in it.

``/admin/estates/area-dashboard/`` lets the person choose among the areas they may see (a sub-district
officer their sub-district, a district officer their district and its sub-districts, a platform
administrator every area); ``…/district/<pk>/`` and ``…/subdistrict/<pk>/`` show the figures with SVG
charts and the league table of estates, ``…/export/`` the same as an Excel workbook. The screen needs
``estates.view_area_dashboard`` (officers; estate staff and committee members do not have it: 403); an
area outside the person's scope is 404. A fixed number of queries whatever the number of estates
(selectors.dashboards.area_dashboard).
"""

from __future__ import annotations

from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from estates.charts import bar_chart
from estates.spreadsheets import Heading, append_header, xlsx_cell, xlsx_row

from .selectors.dashboards import (
    SORTS,
    Area,
    AreaDashboard,
    area_dashboard,
    area_of_user,
    districts_of_user,
    sort_rows,
    subdistricts_of_user,
    units_by_estate,
)

PERMISSION = "estates.view_area_dashboard"
KINDS = ("district", "subdistrict")
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_RMB_FORMAT = '"¥"#,##0.00'
EXCEL_PERCENT_FORMAT = "0.0"


def area_dashboard_url(area: Area) -> str:
    return reverse("area_dashboard:area", args=[area.kind, area.place.pk])


def _require(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _area(request, kind: str, pk: int) -> Area:
    _require(request)
    if kind not in KINDS:
        raise Http404
    area = area_of_user(user=request.user, kind=kind, pk=pk)
    if area is None:
        raise Http404("No such area in your scope.")
    return area


class AreaDashboardIndexView(WagtailAdminTemplateMixin, TemplateView):
    """The areas the person may open; with a single one, straight to it."""

    template_name = "property_services/admin/area_dashboard_index.html"
    page_title = gettext_lazy("Area dashboards")
    header_icon = "site"
    limit = 300

    def get(self, request):
        _require(request)
        districts = list(districts_of_user(user=request.user).order_by("code")[: self.limit + 1])
        subdistricts = list(subdistricts_of_user(user=request.user).select_related("district").order_by("code")[: self.limit + 1])
        if len(districts) == 1:
            return redirect(area_dashboard_url(Area(kind="district", place=districts[0])))
        if not districts and len(subdistricts) == 1:
            return redirect(area_dashboard_url(Area(kind="subdistrict", place=subdistricts[0])))
        if not districts and not subdistricts:
            raise PermissionDenied
        return self.render_to_response(
            self.get_context_data(
                districts=districts[: self.limit],
                subdistricts=subdistricts[: self.limit],
                more=len(districts) > self.limit or len(subdistricts) > self.limit,
            )
        )


def _charts(dashboard: AreaDashboard, rows) -> list:
    """The page's charts: coverage by model; then fee collection, time-limit compliance and ratings by
    sub-district (a district) or by estate (a sub-district: the estates of the page shown)."""
    coverage = [(label or gettext("No arrangement in effect"), share) for _code, label, _n, share in dashboard.coverage]
    charts = [
        bar_chart(coverage, title=gettext("Estates by management model"), testid="chart-coverage"),
    ]
    if dashboard.groups:
        parts = [(group.name, group.orders, group.collection) for group in dashboard.groups]
    else:
        parts = [(row.name, row.orders, row.collection) for row in rows]
    charts += [
        bar_chart(
            [(name, c.fee_collection_rate) for name, _o, c in parts],
            title=gettext("Property fee collection rate"),
            testid="chart-collection",
        ),
        bar_chart(
            [(name, o.compliance) for name, o, _c in parts],
            title=gettext("Work orders within their time limits"),
            testid="chart-compliance",
        ),
        bar_chart(
            [(name, o.average_rating) for name, o, _c in parts],
            title=gettext("Average rating (1–5)"),
            maximum=5,
            suffix="",
            testid="chart-rating",
        ),
    ]
    return charts


class AreaDashboardView(WagtailAdminTemplateMixin, TemplateView):
    """An area's figures, charts and league table of estates (sortable, 50 a page)."""

    template_name = "property_services/admin/area_dashboard.html"
    header_icon = "site"

    def get_page_title(self):
        return gettext("Area dashboard")

    def get_page_subtitle(self):
        area = getattr(self, "area", None)
        return area.place.name if area else ""

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("area_dashboard:index"), "label": gettext("Area dashboards")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get(self, request, kind: str, pk: int):
        self.area = _area(request, kind, pk)
        dashboard = area_dashboard(user=request.user, area=self.area)
        sort = request.GET.get("sort") or "name"
        if sort.lstrip("-") not in SORTS:
            sort = "name"
        rows = sort_rows(dashboard.rows, sort)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
        units_by_estate(list(page))
        columns = [
            (key, label)
            for key, label in (
                ("name", gettext_lazy("Estate")),
                ("", gettext_lazy("Units")),
                ("model", gettext_lazy("Management model")),
                ("fee_collection", gettext_lazy("Fee collection")),
                ("arrears", gettext_lazy("Arrears rate")),
                ("open", gettext_lazy("Open orders")),
                ("overdue", gettext_lazy("Overdue")),
                ("response", gettext_lazy("Response in time")),
                ("completion", gettext_lazy("Completion in time")),
                ("rating", gettext_lazy("Rating")),
                ("low", gettext_lazy("Rated 1–2")),
                ("disclosed", gettext_lazy("Public income disclosed")),
                ("filings", gettext_lazy("Committee filings")),
            )
        ]
        return self.render_to_response(
            self.get_context_data(
                area=self.area,
                d=dashboard,
                page=page,
                sort=sort,
                columns=columns,
                charts=_charts(dashboard, list(page)),
                export_url=reverse("area_dashboard:export", args=[kind, pk]),
            )
        )


def _pct(worksheet, value):
    return xlsx_cell(worksheet, value, number_format=EXCEL_PERCENT_FORMAT) if value is not None else ""


def area_dashboard_export(request, kind: str, pk: int):
    """The area's figures as an Excel workbook: a summary sheet and the league table (every estate). Text is
    written as text, never as a formula (estates.spreadsheets)."""
    from openpyxl import Workbook

    area = _area(request, kind, pk)
    d = area_dashboard(user=request.user, area=area)
    units_by_estate(d.rows)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("概况 Summary")
    append_header(summary, [Heading("指标", gettext_lazy("Figure")), Heading("数值", gettext_lazy("Value"))])
    lines = [
        (Heading("片区", gettext_lazy("Area")), area.place.name),
        (Heading("日期", gettext_lazy("Date")), d.on),
        (Heading("小区数", gettext_lazy("Estates")), d.estates),
        (Heading("户数", gettext_lazy("Units")), sum(row.units for row in d.rows)),
    ]
    for _code, label, n, share in d.coverage:
        name = label or gettext("No arrangement in effect")
        lines.append((f"{name} (%)", _pct(summary, share)))
        lines.append((f"{name} (n)", n))
    lines += [
        (
            Heading("物业费收缴率（%）", gettext_lazy("Property fee collection rate (%)")),
            _pct(summary, d.collection.fee_collection_rate),
        ),
        (Heading("欠费率（%）", gettext_lazy("Arrears rate (%)")), _pct(summary, d.collection.arrears_rate)),
        (Heading("未结工单", gettext_lazy("Open work orders")), d.orders.open),
        (Heading("超时工单", gettext_lazy("Overdue work orders")), d.orders.overdue),
        (Heading("按时响应率（%）", gettext_lazy("Response in time (%)")), _pct(summary, d.orders.response_compliance)),
        (Heading("按时完成率（%）", gettext_lazy("Completion in time (%)")), _pct(summary, d.orders.completion_compliance)),
        (
            Heading("平均评分", gettext_lazy("Average rating")),
            d.orders.average_rating if d.orders.average_rating is not None else "",
        ),
        (Heading("评分数", gettext_lazy("Ratings")), d.orders.rated),
        (Heading("1–2 分占比（%）", gettext_lazy("Rated 1–2 (%)")), _pct(summary, d.orders.low_share)),
        (Heading("待备案或逾期备案的业委会", gettext_lazy("Committee filings due or late")), len(d.filings)),
        (
            Heading("已公示公共收益（元）", gettext_lazy("Public income disclosed (CNY)")),
            xlsx_cell(summary, d.income_disclosed, number_format=EXCEL_RMB_FORMAT),
        ),
        (Heading("已公示的报表", gettext_lazy("Published statements")), d.statements),
    ]
    for label, value in lines:
        summary.append(xlsx_row(summary, [str(label), value]))

    table = workbook.create_sheet("小区排名 Estates")
    append_header(
        table,
        [
            Heading("小区编号", gettext_lazy("Estate code")),
            Heading("小区", gettext_lazy("Estate")),
            Heading("街道", gettext_lazy("Sub-district")),
            Heading("户数", gettext_lazy("Units")),
            Heading("管理模式", gettext_lazy("Management model")),
            Heading("物业费收缴率（%）", gettext_lazy("Property fee collection rate (%)")),
            Heading("欠费率（%）", gettext_lazy("Arrears rate (%)")),
            Heading("未结工单", gettext_lazy("Open work orders")),
            Heading("超时工单", gettext_lazy("Overdue work orders")),
            Heading("按时响应率（%）", gettext_lazy("Response in time (%)")),
            Heading("按时完成率（%）", gettext_lazy("Completion in time (%)")),
            Heading("平均评分", gettext_lazy("Average rating")),
            Heading("评分数", gettext_lazy("Ratings")),
            Heading("1–2 分占比（%）", gettext_lazy("Rated 1–2 (%)")),
            Heading("已公示公共收益（元）", gettext_lazy("Public income disclosed (CNY)")),
            Heading("最近公示期末", gettext_lazy("Last period published")),
            Heading("待备案或逾期备案", gettext_lazy("Committee filings due or late")),
        ],
    )
    sort = request.GET.get("sort") or "name"
    for row in sort_rows(d.rows, sort):
        o, c = row.orders, row.collection
        table.append(
            xlsx_row(
                table,
                [
                    row.code,
                    row.name,
                    row.subdistrict,
                    row.units,
                    row.model_label,
                    _pct(table, c.fee_collection_rate),
                    _pct(table, c.arrears_rate),
                    o.open,
                    o.overdue,
                    _pct(table, o.response_compliance),
                    _pct(table, o.completion_compliance),
                    o.average_rating if o.average_rating is not None else "",
                    o.rated,
                    _pct(table, o.low_share),
                    xlsx_cell(table, row.income_disclosed, number_format=EXCEL_RMB_FORMAT),
                    row.last_published or "",
                    row.filings_attention,
                ],
            )
        )
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="area-{area.key}-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


urlpatterns = [
    path("", AreaDashboardIndexView.as_view(), name="index"),
    path("<str:kind>/<int:pk>/", AreaDashboardView.as_view(), name="area"),
    path("<str:kind>/<int:pk>/export/", area_dashboard_export, name="export"),
]
