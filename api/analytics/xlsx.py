"""The 回头看 review report as an XLSX workbook (openpyxl): one sheet per part, figures as shown in the API."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from api.analytics.service import Count, Number, ReviewReport

NOTE = "说明：为保护个人信息，少于5的数值及基于少于5件计算的中位数、平均数和比例显示为“<5”；意见已去除电话、身份证号等数字和申请人姓名。"


def _value(v: Count | Number):
    """The number itself when shown (so the sheet can compute with it), else its display text."""
    if isinstance(v, Count):
        return v.count if v.count is not None else v.display
    return v.value if v.value is not None else v.display


def _share(v: Number):
    return v.display if v.value is None else v.value


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], *, share_cols: tuple[int, ...] = ()):
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in share_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if isinstance(cell.value, float):
                cell.number_format = "0.0%"
    for i, _ in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 16
    ws.freeze_panes = "A2"
    return ws


def _name(keys) -> str:
    return " / ".join(k.name for k in keys) or "全区"


def review_report_xlsx(report: ReviewReport) -> bytes:
    """Returns the report as an .xlsx file."""
    wb = Workbook()
    ws = wb.active
    ws.title = "概览"
    ws.append(["达川区社会救助“回头看”报告"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["统计范围（提交日期）", f"{report.start} 至 {report.end}"])
    ws.append(["申请件数", _value(report.total)])
    overall = report.time_to_decide[0] if report.time_to_decide else None
    if overall is not None:
        ws.append(["提交至审批决定（工作日，中位数）", _value(overall.median_working_days)])
        ws.append(["提交至审批决定（工作日，90分位）", _value(overall.p90_working_days)])
        ws.append(["超过办理时限的比例", _share(overall.over_limit_share)])
        if isinstance(overall.over_limit_share.value, float):
            ws.cell(row=ws.max_row, column=2).number_format = "0.0%"
    sat = report.satisfaction[0] if report.satisfaction else None
    if sat is not None:
        ws.append(["评价件数", _value(sat.count)])
        ws.append(["平均满意度（1–5）", _value(sat.average_rating)])
        ws.append(["平均便利度（1–5）", _value(sat.average_ease)])
    ws.append([])
    ws.append([NOTE])
    ws["A" + str(ws.max_row)].alignment = Alignment(wrap_text=True)
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 24

    _sheet(wb, "申请渠道", ["渠道", "件数", "占比"],
           [[_name(c.keys), _value(c.count), _share(s)] for c, s in zip(report.channel_mix, report.channel_share,
                                                                        strict=True)], share_cols=(3,))
    _sheet(wb, "申请用时", ["渠道", "件数", "中位数（分钟）", "90分位（分钟）"],
           [[_name(c.keys), _value(c.count), _value(c.median_minutes), _value(c.p90_minutes)]
            for c in report.time_to_apply])
    duration_header = ["范围", "件数", "中位数（工作日）", "90分位（工作日）", "中位数（小时）", "90分位（小时）",
                       "超时限比例", "超预警线比例"]

    def durations(cells):
        return [[_name(c.keys), _value(c.count), _value(c.median_working_days), _value(c.p90_working_days),
                 _value(c.median_hours), _value(c.p90_hours), _share(c.over_limit_share),
                 _share(c.over_warning_share)] for c in cells]

    _sheet(wb, "办理用时（按渠道）", duration_header, durations(report.time_to_decide), share_cols=(7, 8))
    _sheet(wb, "超期（按乡镇）", duration_header, durations(report.overdue), share_cols=(7, 8))
    _sheet(wb, "满意度", ["范围", "评价件数", "1星", "2星", "3星", "4星", "5星", "平均满意度", "平均便利度"],
           [[_name(c.keys), _value(c.count), *[_value(r) for r in c.ratings], _value(c.average_rating),
             _value(c.average_ease)] for c in report.satisfaction])
    rows = []
    for t in report.comments:
        if not t.comments:
            rows.append([_name(t.keys), _value(t.count), "（评价少于5件，不列出意见）" if t.count.suppressed else ""])
        for text in t.comments:
            rows.append([_name(t.keys), _value(t.count), text])
    ws = _sheet(wb, "意见（按乡镇）", ["乡镇(街道)", "评价件数", "意见"], rows)
    ws.column_dimensions["C"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
