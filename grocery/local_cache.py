"""Hot cache entries in process memory, dropped the moment Redis says they changed.

Redis's server-assisted client-side caching (CLIENT TRACKING, Redis >= 6) on the RESP2 protocol:
each process keeps one connection that asks Redis to track every key under the registered
prefixes in broadcast mode (BCAST PREFIX ...), redirects the invalidation messages to itself
(REDIRECT <own id>) and subscribes to `__redis__:invalidate`. A daemon thread reads it and drops
the named keys (all of them on a flush). The thread starts lazily, in the process that first
asks, so it runs after gunicorn (or Celery's prefork pool) has forked.

What it guarantees:
- an entry is stored only if its key was tracked before the read that produced it began, and no
  invalidation for the key (nor a reconnect, nor a flush) arrived while the read was in flight;
- while the tracking connection is down, nothing is answered from memory *or from Redis*: the
  callers read PostgreSQL (epoch() is None). Correctness over speed;
- the epoch: tracked keys embed a random token stored in Redis (EPOCH_KEY). It is replaced on
  every reconnect of any process, and whenever a write's invalidation could not reach Redis
  (invalidation_lost), before this process trusts Redis again. So what Redis held across an
  outage or a restart (an RDB file, or a fill of an old row that raced a write whose invalidation
  failed) is never read again: it sits under a dead epoch until it expires.
What it costs: one connection and one thread per process, memory up to LOCAL_CACHE_BYTES, one
message per change of a tracked key to every process, and a re-read of every hot key from Redis
after an epoch change.
"""

import contextlib
import logging
import os
import select
import socket
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

import hiredis
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

EPOCH_KEY = "local-cache:epoch"
CHANNEL = b"__redis__:invalidate"
# Bytes per entry beyond its key and value: the OrderedDict's node and hash slots (measured
# with tracemalloc by bench/local_cache_memory.py).
ENTRY_OVERHEAD = 176
START_WAIT_SECONDS = 0.2  # a new process's first lookup waits this long at most for tracking
RECONNECT_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)  # backoff while Redis is away

# Tests force races here; production leaves them None.
# after_remote_read(key): in the reading thread, after the read from Redis/PostgreSQL returned,
# before the result is stored.
after_remote_read: Callable[[str], None] | None = None
# before_reconnect(): in the listener thread, after a lost connection, before connecting again.
before_reconnect: Callable[[], None] | None = None

_tracked: dict[str, bool] = {}  # logical prefix -> delete its keys when the epoch changes


def track(prefix: str, *, void_on_new_epoch: bool = False) -> None:
    """Declare a key prefix to cache locally (at import time, before the first connection).

    Keys that do not embed the epoch (a single small key like a version token) ask to be
    deleted in the same transaction that replaces the epoch, so they are never trusted across it.
    """
    _tracked[prefix] = void_on_new_epoch


class LRU:
    """Least recently used first out, bounded by an estimate of the bytes it holds."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    @staticmethod
    def cost(key: str, value: bytes) -> int:
        return sys.getsizeof(key) + sys.getsizeof(value) + ENTRY_OVERHEAD

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: bytes) -> None:
        self.pop(key)
        cost = self.cost(key, value)
        if cost > self.max_bytes:
            return
        self._entries[key] = value
        self.nbytes += cost
        while self.nbytes > self.max_bytes:
            old_key, old_value = self._entries.popitem(last=False)
            self.nbytes -= self.cost(old_key, old_value)

    def pop(self, key: str) -> None:
        value = self._entries.pop(key, None)
        if value is not None:
            self.nbytes -= self.cost(key, value)

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0


class _Ticket:
    """A read in flight: spoiled by an invalidation of its key before it could be stored."""

    __slots__ = ("spoiled",)

    def __init__(self):
        self.spoiled = False


def _encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class LocalCache:
    def __init__(self, max_bytes: int, *, new_epoch_due: bool = False):
        self.pid = os.getpid()
        self._make_key = cache.make_key  # bound once: the proxy's lookup costs on every hit
        self.lru = LRU(max_bytes)
        self._lock = threading.Lock()
        self._inflight: dict[str, list[_Ticket]] = {}
        self._generation = 0  # bumped by every clear: reads begun before it are not stored
        self._epoch: str | None = None  # None: not tracking, so neither memory nor Redis is trusted
        self._new_epoch_due = new_epoch_due  # an invalidation was lost: replace the epoch first
        self._stop = threading.Event()
        # The listener sleeps until Redis sends or this pair is written to (_wake): waking up on
        # a timer to look at its flags, 20 times a second, cost a busy worker 13 % of its lookups
        # (each wake-up takes the GIL from the request thread; docs/benchmarks.md).
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sock: socket.socket | None = None
        self._poller: select.poll | None = None  # readable: messages not handled yet
        # A poll object refuses two poll() calls at once (RuntimeError), and request threads
        # ask it concurrently: 40 checkout threads did in tests/checkout/test_races.py.
        self._poll_lock = threading.Lock()
        self.hits = self.misses = 0
        self.connects = 0  # how many times tracking came up (tests wait on it)
        self.invalidations = 0  # messages handled (tests wait on it)
        self._changed = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="local-cache", daemon=True)
        self._thread.start()

    # --- the readers' side --------------------------------------------------------------------

    def epoch(self) -> str | None:
        """None while not tracking, and while a message is unhandled: it may be a new epoch, so
        neither memory nor Redis (under the old one) is to be read; PostgreSQL answers."""
        return None if self._pending() else self._epoch

    def get(self, key: str, fetch: Callable[[], bytes | None]) -> bytes | None:
        """The value of a tracked logical key: from memory, else fetch() (kept if still valid)."""
        full = self._make_key(key)
        with self._lock:
            value = self.lru.get(full)
            if value is not None and not self._pending():
                self.hits += 1
                return value
            self.misses += 1
            trusted = self._epoch is not None
            generation = self._generation
            ticket = _Ticket()
            if trusted:
                self._inflight.setdefault(full, []).append(ticket)
        try:
            value = fetch()
            if after_remote_read is not None:
                after_remote_read(key)
        finally:
            if trusted:
                with self._lock:
                    tickets = self._inflight[full]
                    tickets.remove(ticket)
                    if not tickets:
                        del self._inflight[full]
                    if value and not ticket.spoiled and generation == self._generation:
                        self.lru.put(full, value)
        return value

    def invalidate(self, keys) -> None:
        """Drop these logical keys here and now (a writer's own process does not wait for Redis)."""
        self._drop([cache.make_key(key) for key in keys])

    def invalidation_lost(self) -> None:
        """A write could not tell Redis: trust neither memory nor Redis until a new epoch is set."""
        with self._lock:
            self._new_epoch_due = True
            self._distrust()
        self._wake()

    def close(self) -> None:
        self._stop.set()
        self._wake()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(2)
        self._wake_r.close()
        self._wake_w.close()

    def wait(self, predicate: Callable[["LocalCache"], bool], timeout: float = 5.0) -> bool:
        """Block until predicate(self) holds (tests and benchmarks)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def kill_connection(self) -> None:
        """Drop the tracking connection as a network fault would (tests)."""
        if self._sock is not None:
            self._sock.shutdown(socket.SHUT_RDWR)

    # --- the listener's side ------------------------------------------------------------------

    def _wake(self) -> None:
        """Have the listener look at its flags (_stop, _new_epoch_due) now."""
        with contextlib.suppress(OSError):  # full: a wake-up is pending already
            self._wake_w.send(b"!")

    def _distrust(self) -> None:  # under the lock
        self._epoch = None
        self._generation += 1
        self.lru.clear()
        self._changed.notify_all()

    def _drop(self, full_keys) -> None:
        with self._lock:
            for full in full_keys:
                self.lru.pop(full)
                for ticket in self._inflight.get(full, ()):
                    ticket.spoiled = True

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen(reconnect=self.connects > 0 or self._new_epoch_due)
                failures = 0
            except (OSError, hiredis.ProtocolError, RedisReplyError, RedisError) as exc:
                with self._lock:
                    was_trusted = self._epoch is not None
                    self._distrust()
                if was_trusted:
                    logger.warning("Local cache off until Redis tracking is back: %s", exc)
                if self._stop.is_set():
                    return
                time.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
                if before_reconnect is not None:
                    before_reconnect()
                failures += 1
            finally:
                self._poller = None
                if self._sock is not None:
                    self._sock.close()
                    self._sock = None

    def _listen(self, *, reconnect: bool) -> None:
        client = cache.client.get_client(write=True)
        options = client.connection_pool.connection_kwargs
        timeout = options.get("socket_connect_timeout") or 1.0
        if options.get("path"):
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(timeout)
            sock.connect(options["path"])
        else:
            sock = socket.create_connection((options["host"], options["port"]), timeout=timeout)
        self._sock = sock
        reader = hiredis.Reader()

        def call(*args):
            sock.sendall(_encode(*args))
            reply = self._read(reader, sock, deadline=time.monotonic() + 2)
            if isinstance(reply, hiredis.ReplyError):
                raise RedisReplyError(str(reply))
            return reply

        if options.get("password"):
            call("AUTH", *filter(None, [options.get("username"), options["password"]]))
        client_id = call("CLIENT", "ID")
        prefixes = [cache.make_key(prefix) for prefix in (EPOCH_KEY, *_tracked)]
        call("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST",
             *[part for prefix in prefixes for part in ("PREFIX", prefix)])  # fmt: skip
        call("SUBSCRIBE", CHANNEL)
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        self._poller = poller
        # Tracked from here on. A reconnect (or a lost invalidation) means changes may have been
        # missed, by this process or, for all it knows, by others: a new epoch voids them all.
        if reconnect:
            self._new_epoch(client)
        self._load_epoch(client)
        if self.connects == 0 or reconnect:
            logger.info("Local cache tracking Redis (epoch %s)", self._epoch)
        with self._lock:
            self.connects += 1
            self._changed.notify_all()
        sock.settimeout(None)
        waiting = select.poll()  # a message (or the connection's end), or a wake-up
        waiting.register(sock, select.POLLIN)
        waiting.register(self._wake_r, select.POLLIN)
        while not self._stop.is_set():
            if self._new_epoch_due:
                self._new_epoch(client)
                self._load_epoch(client)
            ready = {fd for fd, _ in waiting.poll()}
            if self._wake_r.fileno() in ready:
                with contextlib.suppress(BlockingIOError):
                    self._wake_r.recv(4096)
            if sock.fileno() not in ready:
                continue
            # peeked, and taken off the socket only once handled: see _pending
            data = sock.recv(65536, socket.MSG_PEEK)
            if not data:
                raise ConnectionResetError("Redis closed the tracking connection")
            reader.feed(data)
            while (message := reader.gets()) is not False:
                self._handle(message, client)
            sock.recv(len(data))

    def _handle(self, message, client) -> None:
        if isinstance(message, list) and message[0] == b"message":
            keys = message[2]
            if keys is None:  # FLUSHDB / FLUSHALL
                with self._lock:
                    self._distrust()
                self._load_epoch(client)
            else:
                full = [key.decode() for key in keys]
                self._drop(full)
                if cache.make_key(EPOCH_KEY) in full:
                    with self._lock:  # no reads of memory or Redis until the epoch is known
                        previous, self._epoch = self._epoch, None
                    self._load_epoch(client, previous=previous)
        with self._lock:
            self.invalidations += 1
            self._changed.notify_all()

    def _pending(self) -> bool:
        """Whether a message has reached this process that the listener has not handled yet.

        The listener only peeks at the socket and takes the bytes off once it has dropped the
        keys they name, so a reader that finds the socket readable knows its memory may be behind
        and asks Redis instead. A change thus counts as soon as Redis's message is in this
        process's socket, however late the listener thread is scheduled on a busy machine.
        """
        poller = self._poller
        if poller is None:
            return True
        with self._poll_lock:
            return bool(poller.poll(0))

    def _read(self, reader, sock, *, deadline: float):
        """One reply to a command of the connection's setup."""
        while True:
            reply = reader.gets()
            if reply is not False:
                return reply
            try:
                data = sock.recv(65536)
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
                continue
            if not data:
                raise ConnectionResetError("Redis closed the tracking connection")
            reader.feed(data)

    def _new_epoch(self, client) -> None:
        # Cleared first: a write that fails from here on asks again, one before is covered.
        self._new_epoch_due = False
        pipe = client.pipeline(transaction=True)
        pipe.set(cache.make_key(EPOCH_KEY), uuid.uuid4().hex)
        voided = [cache.make_key(prefix) for prefix, void in _tracked.items() if void]
        if voided:
            pipe.delete(*voided)
        try:
            pipe.execute()
        except RedisError:
            self._new_epoch_due = True
            raise

    def _load_epoch(self, client, previous: str | None = None) -> None:
        """Read the epoch (creating one if Redis has none) and trust it from now on; memory is
        kept only if the epoch is the one it was filled under (as after our own creation of it)."""
        key = cache.make_key(EPOCH_KEY)
        client.set(key, uuid.uuid4().hex, nx=True)
        epoch = client.get(key).decode()
        with self._lock:
            if epoch != previous:
                self._generation += 1
                self.lru.clear()
            if not self._new_epoch_due:
                self._epoch = epoch
            self._changed.notify_all()


class RedisReplyError(Exception):
    pass


_instance: LocalCache | None = None
_lost_before_reset = False  # a lost invalidation outlives the instance that saw it
_instance_lock = threading.Lock()


_enabled: bool | None = None  # worked out once (and again when a test changes the settings)


def enabled() -> bool:
    global _enabled
    if _enabled is None:
        _enabled = bool(settings.LOCAL_CACHE) and hasattr(cache, "client")
    return _enabled


def current() -> LocalCache | None:
    """This process's local cache (its listener started on first use), None when switched off."""
    global _instance, _lost_before_reset
    instance = _instance
    if instance is not None and instance.pid == os.getpid():
        return instance
    if not enabled():
        return None
    with _instance_lock:
        if _instance is None or _instance.pid != os.getpid():  # first use, or a forked child
            _instance = LocalCache(settings.LOCAL_CACHE_BYTES, new_epoch_due=_lost_before_reset)
            _lost_before_reset = False
            # Until tracking is up, reads skip Redis: give it the few milliseconds it takes.
            _instance.wait(lambda c: c.connects > 0, START_WAIT_SECONDS)
        return _instance


def running() -> LocalCache | None:
    """This process's local cache if it has one already (writers need not start one)."""
    instance = _instance
    return instance if instance is not None and instance.pid == os.getpid() else None


def epoch() -> str | None:
    """The epoch tracked keys embed now; None: read neither memory nor Redis (PostgreSQL answers)."""
    instance = current()
    return None if instance is None else instance.epoch()


# Sets epoch-scoped keys under the epoch Redis holds at that instant (none: a new one voids all),
# so a writer whose own view of the epoch lags a replacement still marks the live keys.
_SET_IN_EPOCH = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[#ARGV])  -- a flushed epoch is replaced: every process rereads
  return 0
end
for i = 4, #ARGV - 1 do
  redis.call('SET', ARGV[1] .. epoch .. ARGV[i], ARGV[2], 'EX', ARGV[3])
end
return 1
"""


def set_in_epoch(prefix: str, suffixes: list[str], value: bytes, timeout: int) -> None:
    """Set each key `prefix + epoch + suffix` to value (a writer's invalidation marker).

    This process forgets them at once; the others when Redis's message arrives. If Redis
    cannot be told, every process stops trusting Redis until a new epoch is set.
    """
    instance = running()
    try:
        client = cache.client.get_client(write=True)
        client.eval(_SET_IN_EPOCH, 1, cache.make_key(EPOCH_KEY), cache.make_key(prefix), value,
                    timeout, *suffixes, uuid.uuid4().hex)  # fmt: skip
    except RedisError as exc:
        logger.warning("Invalidation not delivered, distrusting Redis until a new epoch: %s", exc)
        invalidation_lost()
    if instance is not None and (live := instance.epoch()) is not None:
        instance.invalidate(f"{prefix}{live}{suffix}" for suffix in suffixes)


def invalidation_lost() -> None:
    instance = current()  # started if need be: it is what sets the new epoch
    if instance is not None:
        instance.invalidation_lost()


def reset() -> None:
    """Stop this process's listener; the next use starts a fresh one (tests switch caches)."""
    global _instance, _lost_before_reset
    with _instance_lock:
        instance, _instance = _instance, None
    if instance is not None and instance.pid == os.getpid():
        instance.close()
        _lost_before_reset = instance._new_epoch_due


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs):
    global _enabled
    if setting in ("CACHES", "LOCAL_CACHE", "LOCAL_CACHE_BYTES"):
        _enabled = None
        reset()
