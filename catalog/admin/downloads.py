"""A CSV file the admin streams to the browser, named for what it holds and when."""

from django.http import StreamingHttpResponse
from django.utils import timezone


def csv_download(rows, name: str) -> StreamingHttpResponse:
    """rows: the file's lines as text (csv_format.export_rows, store_csv.export_rows)."""
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
