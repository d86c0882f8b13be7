"""The API's JSON parser: DRF's, with a nesting limit.

Python's json module recurses once per level: a body of 100,000 "[" raises RecursionError,
which DRF does not catch (a 500). No request of this API nests deeper than a few levels, so
anything past MAX_JSON_DEPTH is refused as a parse error (400) before a serializer sees it.

StoredJSONParser is for bodies kept as they came (a Stripe event, a CSP report): it also refuses
a NUL character, which PostgreSQL stores in neither text nor jsonb, so it would fail in the
database as a 500. (Serializers' CharFields refuse NUL themselves, field by field.)
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
        if nests_deeper(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return data


def nests_deeper(value, limit: int) -> bool:
    """Whether parsed JSON nests deeper than limit (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


class StoredJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if holds_nul(data):
            raise ParseError("JSON with a NUL character.")
        return data


def holds_nul(value) -> bool:
    """Whether a NUL is in any key or string of parsed JSON (its depth already bounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
