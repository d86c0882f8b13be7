"""One request id per customer request, in every log line it causes, Celery tasks included.

The id comes from the load balancer's X-Request-ID (HAProxy's unique-id) or is made here; it is
sent back in the response, put on every log record (RequestIdFilter), carried in the headers of
any task the request sends, and set again while a worker runs that task. LOG_FORMAT=json writes
one JSON object a line, for a log shipper; the default stays readable for a developer.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # an id we did not make is logged, so kept tame
request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        # Not reset on the way out: Django logs an error response after every middleware has
        # returned, and that line must carry the id too. The next request sets its own.
        request_id.set(given if _ACCEPTED.fullmatch(given) else uuid.uuid4().hex)
        response = self.get_response(request)
        response[HEADER] = request_id.get()
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    converter = time.gmtime  # the Z below is true

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    if headers is not None and request_id.get() != "-":
        headers.setdefault("request_id", request_id.get())


_task_tokens: dict[str, object] = {}


@task_prerun.connect
def _adopt_request_id(task_id=None, task=None, **kwargs):
    _task_tokens[task_id] = request_id.set(task.request.get("request_id") or f"task-{task_id}")


@task_postrun.connect
def _drop_request_id(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)
