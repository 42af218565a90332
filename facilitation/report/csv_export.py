"""CSV downloads that a spreadsheet opens safely."""

import csv
import io

from django.http import HttpResponse


def spreadsheet_safe(value) -> str:
    """Spreadsheets run cells starting with = + - @ (and tab or CR) as formulas; a leading apostrophe makes
    them text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()


def csv_response(filename: str, rows: list[list]) -> HttpResponse:
    response = HttpResponse(csv_text(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
