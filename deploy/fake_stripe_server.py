"""The test suite's fake Stripe (tests/fixtures/fake_stripe.py) as the stack's payment gateway,
with a control API for the fault drills of deploy/stack_check.py:

  POST /_control/slow      body: seconds      every charge answers that much later (then succeeds)
  POST /_control/errors    body: status       every charge answers that Stripe error (e.g. 500)
  POST /_control/timeout                      every charge is done, and its answer never comes;
                                              searches take 3 s
  POST /_control/ok                           back to normal
Everything else is Stripe's API as the fake speaks it (sk_test_fake).
"""

import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.fake_stripe import FakeStripe  # noqa: E402

CHARGE = "POST /v1/payment_intents"
FOR_EVER = 10**9
ThreadingHTTPServer.request_queue_size = 256  # a shop's worth of checkouts, not 5


class ControlledFakeStripe(FakeStripe):
    def handle(self, request, method):
        if not request.path.startswith("/_control/"):
            return super().handle(request, method)
        length = int(request.headers.get("Content-Length") or 0)
        arg = request.rfile.read(length).decode() if length else ""
        what = request.path.removeprefix("/_control/")
        with self.lock:
            self.faults.clear()
            self.delays.clear()
        if what == "slow":
            self.delay(CHARGE, float(arg or 5))
        elif what == "errors":
            self.fail(CHARGE, arg or "500", times=FOR_EVER)
        elif what == "timeout":
            # Stripe charges, the answer is lost: the money-bug drill.
            self.fail(CHARGE, "hang_after", times=FOR_EVER, seconds=60)
            # and slow to search: reconciliation tasks are mid-call when the drill kills a worker
            self.delay("GET /v1/payment_intents/search", 3)
        elif what != "ok":
            return self.send(request, 404, {"error": f"no control {what}"})
        return self.send(request, 200, {"control": what})


if __name__ == "__main__":
    server = ControlledFakeStripe(int(sys.argv[1])).start()
    print(f"fake Stripe on {server.url}", flush=True)
    threading.Event().wait()
