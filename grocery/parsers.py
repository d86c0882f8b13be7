"""The API's JSON parser: DRF's, refusing what no request of this API carries.

Python's json module recurses once per level: a body of 100,000 "[" raises RecursionError,
which DRF does not catch (a 500). No request of this API nests deeper than a few levels, so
anything past MAX_JSON_DEPTH is refused as a parse error (400) before a serializer sees it.

Nor does any request carry a NUL character, and PostgreSQL stores none (in text or jsonb): a
payload kept as it came (a Stripe event, a CSP report) would fail in the database as a 500.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 20


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from exc
        check_parsed(data)
        return data


def check_parsed(value) -> None:
    """ParseError if parsed JSON nests deeper than MAX_JSON_DEPTH or holds a NUL in a key or a
    string (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                raise ParseError("JSON with a NUL character.")
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and "\x00" in item:
            raise ParseError("JSON with a NUL character.")
