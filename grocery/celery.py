import os

from celery import Celery
from celery.signals import beat_init, celeryd_init, worker_init

import grocery.observability  # noqa: F401 - its signals carry request ids into tasks

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")

app = Celery("grocery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def make_filesystem_broker_folders(sender, **kwargs):
    """The filesystem broker expects its folders to exist; create them for whichever process starts first."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
    backend = sender.conf.result_backend or ""
    if backend.startswith("file://"):
        os.makedirs(backend.removeprefix("file://"), exist_ok=True)


@worker_init.connect
def refuse_a_misconfigured_payment_gateway(**kwargs):
    from grocery.checks import refuse_to_start

    refuse_to_start()


@celeryd_init.connect
@beat_init.connect
def reconnect_for_ever(sender=None, **kwargs):
    """A request tries the broker once (settings.REDIS_BROKER_TRANSPORT_OPTIONS), but a worker or
    beat that gave up on a restarting Redis would simply exit: these retry until it is back."""
    options = dict(app.conf.broker_transport_options or {})
    if "max_retries" in options:
        options.update(max_retries=None, interval_start=0.5, interval_step=0.5, interval_max=3)
        app.conf.broker_transport_options = options
