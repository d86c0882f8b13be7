"""The API's JSON parser: DRF's, with a nesting limit.

Python's json module recurses once per level: a body of 100,000 "[" raises RecursionError,
which DRF does not catch (a 500). No request of this API nests deeper than a few levels, so
anything past MAX_JSON_DEPTH is refused as a parse error (400) before a serializer sees it.
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
