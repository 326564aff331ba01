"""WSGI entry point: gunicorn wsgi:app, or flask --app wsgi run."""
import gc

from matchmaker import create_app

app = create_app()

# The app, its libraries and their import-time data are some 300,000 objects that live as long
# as the process. Python's cycle collector walked all of them at every full collection, which
# a page view triggered every so often (a few ms per request on average, tens of ms for the
# unlucky one: bench/page_cpu.py). Frozen, they are left out of every collection (memory is
# still freed by reference counting); the larger first threshold collects a page's short-lived
# objects in fewer passes.
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 10)
