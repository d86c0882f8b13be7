"""For `make mutation` only (pyproject's [tool.mutmut] loads it with `-p`): do once, in mutmut's
fork server, what every mutant's pytest session would otherwise do again; and in each session,
build only the tests it names and run them in mutmut's fastest-first order.

mutmut warms its fork server with a `--collect-only` session, then forks a child per mutant that
runs that mutant's tests in a new session. Profiled, a child spent most of its time before its
first test could fail: building the test database (0.3-0.7 s: tables, then permissions and roles
on post_migrate), importing what the first request loads (the URLconf, the views, Stripe's
PaymentIntent classes: 0.5 s) and collecting garbage over everything the fork server had loaded.
This plugin builds the in-memory SQLite test database, loads those modules and freezes what is
loaded out of the garbage collector's reach, at the end of the warm-up collection; each
forked child gets its own copy of both (memory is copied on fork; an in-memory SQLite database
has no file or lock to share), and pytest-django's database setup is made a no-op in the fork
server, so only the children that inherit the database skip building one.
"""

import gc

import pytest

# The Stripe objects the gateway receives (checkout/gateway.py): their classes load on first use.
STRIPE_OBJECTS = ("payment_intent", "refund", "charge", "event", "list")


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    if not session.config.option.collectonly:
        return
    _build_test_database(session)
    _load_request_modules()
    # Everything loaded so far lives as long as the fork server: a child's garbage collections
    # need not walk it (a full one took 0.5 s) nor copy its pages on fork.
    gc.freeze()


def _build_test_database(session):
    from django.test import utils
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup
    from pytest_django.plugin import blocking_manager_key

    _disable_migrations()  # as --nomigrations does (the mutation run passes it)
    aliases, serialized = _get_databases_for_setup(session.items)
    with session.config.stash[blocking_manager_key].unblock():
        built = utils.setup_databases(
            verbosity=0, interactive=False, aliases=aliases, serialized_aliases=serialized
        )

    def already_built(*args, **kwargs):
        return built

    # pytest-django's django_db_setup imports these at call time, so the children find these.
    # Tearing down is skipped too: a child ends with os._exit and its copy goes with it.
    utils.setup_databases = already_built
    utils.teardown_databases = lambda *args, **kwargs: None


def _load_request_modules():
    import stripe._object_classes
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's views
    get_resolver()._populate()
    for name in STRIPE_OBJECTS:
        stripe._object_classes.get_object_class("V1", name)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    """A mutant's session names its tests one by one; pytest would still build every test of
    their modules (parametrisation, fixture closures) before dropping the rest. Those it was
    not asked for are skipped here, before they are built."""
    named = _named_tests(collector.config).get(collector.nodeid)
    if named is not None and name.startswith("test") and name not in named:
        return []
    return None


def _named_tests(config):
    """{module: names of the tests asked for in it}, for the modules asked for test by test."""
    if not hasattr(config, "_mutation_named_tests"):
        named = {}
        for arg in config.args:
            module, _, test = arg.partition("::")
            if test:
                named.setdefault(module, set()).add(test.split("[")[0])
        config._mutation_named_tests = named
    return config._mutation_named_tests


TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """mutmut names a mutant's tests fastest first; pytest-django then moves the tests that use
    no database to the end (as Django's runner does), and those are the pure examples (the
    engine's, the pricing function's): fast, and the ones that kill most money mutants. Here
    the order is mutmut's again, except that the tests which empty the tables as they end
    (transactional ones) still run after every other test, as pytest-django has them."""
    position = {nodeid: index for index, nodeid in enumerate(config.args)}
    items.sort(key=lambda item: (_transactional(item), position.get(item.nodeid, len(position))))


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    ):
        return True
    return not TRANSACTIONAL_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
