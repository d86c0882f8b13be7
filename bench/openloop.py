"""An open-loop HTTP load generator: requests leave on a fixed schedule whatever the server does.

Each request is timed from the moment it was scheduled, not from when a connection was free, so
a slow server shows up as latency instead of quietly lowering the rate (closed-loop tools such
as wrk, or hey -q with its bursts, hide that). The sender's own lateness is reported so that a
saturated client is seen and not blamed on the server. Connections are kept alive when the
server allows it (gunicorn's sync workers close each one, so then each request connects).
"""

import asyncio
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class OpenLoopResult:
    rate: float
    duration: float
    sent: int = 0
    ok: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    lateness_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0

    def merge(self, other: "OpenLoopResult") -> "OpenLoopResult":
        """Add another slice of the same run (the bench alternates its two targets)."""
        self.duration += other.duration
        self.sent += other.sent
        self.ok += other.ok
        self.latencies_ms += other.latencies_ms
        self.lateness_ms += other.lateness_ms
        self.errors += other.errors
        self.elapsed += other.elapsed
        return self

    def percentile(self, values: list[float], p: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def achieved_rate(self) -> float:
        return len(self.latencies_ms) / self.elapsed if self.elapsed else 0.0

    def summary(self) -> dict:
        return {
            "target_rate": self.rate,
            "achieved_rate": round(self.achieved_rate, 1),
            "sent": self.sent,
            "ok": self.ok,
            "errors": dict(self.errors),
            "p50_ms": round(self.percentile(self.latencies_ms, 50), 3),
            "p99_ms": round(self.percentile(self.latencies_ms, 99), 3),
            "p99.9_ms": round(self.percentile(self.latencies_ms, 99.9), 3),
            "sender_late_p50_ms": round(self.percentile(self.lateness_ms, 50), 3),
            "sender_late_p99_ms": round(self.percentile(self.lateness_ms, 99), 3),
            "sender_late_max_ms": round(max(self.lateness_ms, default=0.0), 3),
            "sender_late_mean_ms": round(statistics.fmean(self.lateness_ms), 3)
            if self.lateness_ms
            else 0.0,
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


async def run_open_loop(
    host: str,
    port: int,
    next_path: Callable[[], str | tuple[str, dict[str, str]]],
    *,
    rate: float,
    duration: float,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
    next_body: Callable[[], bytes] | None = None,
) -> OpenLoopResult:
    """GETs of next_path(), or with next_body POSTs of its JSON to next_path(). next_path() may
    also give a path and that request's own headers (a store's cookie), sent after `headers`."""
    result = OpenLoopResult(rate=rate, duration=duration)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def one(scheduled: float, path: str, own: str, body: bytes | None) -> None:
        result.lateness_ms.append((loop.time() - scheduled) * 1000)
        conn = None

        async def exchange():
            nonlocal conn
            conn = idle.pop() if idle else await asyncio.open_connection(host, port)
            reader, writer = conn
            if body is None:
                head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}{own}\r\n"
            else:
                head = (
                    f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}{own}"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
            writer.write(head.encode("latin-1") + (body or b""))
            return await _read_response(reader)

        try:
            # The timeout covers connecting too: a full accept queue must not stall the run.
            status, keep_alive = await asyncio.wait_for(exchange(), timeout)
            result.latencies_ms.append((loop.time() - scheduled) * 1000)
            if status == 200:
                result.ok += 1
            else:
                result.errors[f"http_{status}"] += 1
            if keep_alive:
                idle.append(conn)
                conn = None
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            result.errors[type(exc).__name__] += 1
        finally:
            if conn is not None:
                conn[1].close()

    count = int(rate * duration)
    interval = 1.0 / rate
    start = loop.time() + 0.05
    tasks = []
    for i in range(count):
        scheduled = start + i * interval
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        body = next_body() if next_body else None
        path, own = next_path(), ""
        if not isinstance(path, str):
            path, own = path[0], "".join(f"{k}: {v}\r\n" for k, v in path[1].items())
        tasks.append(asyncio.create_task(one(scheduled, path, own, body)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.elapsed = loop.time() - start
    for _, writer in idle:
        writer.close()
    return result
