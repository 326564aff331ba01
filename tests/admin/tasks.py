"""A task whose progress the test drives: it advances one step each time the test releases
its gate (tests/browser/test_job_progress.py watches the progress bar move)."""
import threading

from matchmaker.jobs import JobContext, task

GATES: dict[str, threading.Semaphore] = {}
STEP_TIMEOUT = 30  # seconds a step waits for the test before the job gives up (and fails)


def open_gate(name: str) -> threading.Semaphore:
    """Create the gate name; each release() lets the job take one step."""
    GATES[name] = threading.Semaphore(0)
    return GATES[name]


@task("tests.stepped", unique=False, label="")
def stepped(ctx: JobContext, gate: str, steps: int = 4) -> dict:
    """Report 0 of steps, then one more step each time the gate is released. Each step is
    committed, so that other connections (the pages polling the job) see it at once."""
    ctx.progress(0, steps, "waiting for the test", force=True)
    ctx.session.commit()
    for done in range(1, steps + 1):
        if not GATES[gate].acquire(timeout=STEP_TIMEOUT):
            raise TimeoutError(f"the test did not release step {done} of gate {gate}")
        ctx.progress(done, steps, f"step {done} of {steps}", force=True)
        ctx.session.commit()
    return {"steps": steps}
