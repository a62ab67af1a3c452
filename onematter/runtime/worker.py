"""`onematter worker`: a warm process that takes applications from the queue (our database) and
runs each one's `combined-application` flow — or, after a decision, its `issue-documents` flow —
in this process, against the Prefect server named by
PREFECT_API_URL — one readable `一件事 <number>` run per application in the UI, without a new
process, cold imports or a cold font configuration per run.

Start as many as there are cores, on as many machines as share the database (PostgreSQL), the
Prefect server and the documents directory. A worker that dies is replaced by the others: its
lease runs out, the next worker takes the application up and marks the lost flow run Crashed."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
import uuid

from prefect.client.orchestration import get_client
from prefect.states import Crashed

import onematter.flows.combined_application  # noqa: F401 — warm_up pays for Prefect's and the flow's imports once
from onematter.flows.decision import run_due_decisions
from onematter.case import workqueue
from onematter.config.db import session_scope
from onematter.config.embedded import served
from onematter.config.privacy import scrub
from onematter.config.settings import get_settings
from onematter.documents.render import warm_fonts
from onematter.services.handover import run_documents_here, run_flow_here

log = logging.getLogger("onematter.worker")
PARENT_ENV = "ONEMATTER_WORKER_PARENT"      # set by `serve`: its workers stop when it is gone


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def warm_up() -> None:
    """Pay the cold costs once: Prefect's and our imports, the database pool, the font set."""
    warm_fonts()
    with session_scope(readonly=True):
        pass


def mark_crashed(run_id: str, *, lost: str, by: str) -> None:
    """The lost worker's flow run, left Running, is marked Crashed with who took over."""


    async def mark() -> None:
        async with get_client() as client:
            run = await client.read_flow_run(uuid.UUID(run_id))
            if run.state and not run.state.is_final():
                await client.set_flow_run_state(run.id, Crashed(message=f"工作进程 {lost} 失联（租约过期），已由 {by} 接续办理"),
                                                force=True)
    try:
        asyncio.run(mark())
    except Exception:  # noqa: BLE001 — the case goes on; the UI keeps a stale Running run
        log.warning("未能把流程运行 %s 标记为崩溃", run_id, exc_info=True)


class _Lease(threading.Thread):
    """Renews a claim's lease while its flow runs; stops the process when its parent is gone."""

    def __init__(self, claim: workqueue.Claim, worker: str, seconds: float):
        super().__init__(daemon=True, name="lease")
        self.claim, self.worker, self.seconds = claim, worker, seconds
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.seconds / 3):
            try:
                workqueue.renew(self.worker, self.claim.item_id, self.seconds)
            except Exception:  # noqa: BLE001 — a database hiccup: the next renewal tries again
                log.warning("续租失败", exc_info=True)


def _watch_parent() -> None:
    parent = int(os.environ.get(PARENT_ENV) or 0)
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)                    # `serve` is gone (even by SIGKILL): so is its worker
    threading.Thread(target=watch, daemon=True, name="parent").start()


def process(claim: workqueue.Claim, worker: str, lease_seconds: float) -> str:
    """Run one claimed application's flow here; returns the item's state afterwards."""
    if claim.lost_run_id:
        mark_crashed(claim.lost_run_id, lost=claim.taken_from, by=worker)
    lease = _Lease(claim, worker, lease_seconds)
    lease.start()
    try:
        (run_documents_here if claim.purpose == workqueue.DOCUMENTS else run_flow_here)(claim.application_id)
    except Exception as exc:  # noqa: BLE001 — recorded on the item; retried with backoff
        log.warning("联办申请办理出错（第 %d 次）：%s", claim.attempt, scrub(str(exc)))
        return workqueue.finish(claim, worker, error=scrub(str(exc))[:500] or type(exc).__name__)
    finally:
        lease.done.set()
    return workqueue.finish(claim, worker)


BUSY_FORMS_EVERY = 5.0     # while applications keep coming, Prefect is asked for forms this seldom


class _Forms:
    """Submitted decision forms (and runs started by hand in the UI), looked for in Prefect at most
    every `every` seconds while the queue is empty, every BUSY_FORMS_EVERY while it is not (each
    look is a request the Prefect server answers: under a burst they were several per application).
    A form waits as a suspended run; nothing here waits on it."""

    def __init__(self, worker: str, every: float):
        self.worker, self.every, self.last = worker, every, -1e9

    def take(self, *, busy: bool = False) -> int:
        if time.monotonic() - self.last < (max(self.every, BUSY_FORMS_EVERY) if busy else self.every):
            return 0
        self.last = time.monotonic()
        try:
            return asyncio.run(run_due_decisions(self.worker))
        except KeyboardInterrupt:
            raise
        except Exception:  # noqa: BLE001 — the Prefect server is away for a moment: next round
            log.warning("读取已提交的审核表单失败，稍后重试", exc_info=True)
            return 0


def _stop_once(signum, frame):
    """Ctrl-C or SIGTERM: stop, once. A second signal (serve passing the terminal's Ctrl-C on)
    must not interrupt the release of the application in hand."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def run_worker(*, poll: float = 0.1, forms_every: float = 1.0, stop: threading.Event | None = None,
               echo=print) -> None:
    """Take and run applications, and the decision forms supervisors submitted, until stopped
    (Ctrl-C, SIGTERM, or `stop`)."""
    if not served():
        raise SystemExit("onematter worker 需要 PREFECT_API_URL 指向 Prefect 服务器（onematter serve 打印的地址）")
    signal.signal(signal.SIGTERM, _stop_once)
    signal.signal(signal.SIGINT, _stop_once)
    _watch_parent()
    name, lease = worker_name(), get_settings().worker_lease_seconds
    warm_up()
    echo(f"工作进程 {name} 已就绪（租约 {lease:.0f} 秒）")
    stop = stop or threading.Event()
    forms = _Forms(name, forms_every)
    busy = False
    while not stop.is_set():
        forms.take(busy=busy)
        try:
            claim = workqueue.claim(name, lease)
        except Exception:  # noqa: BLE001 — the database is away for a moment: try again, do not die
            log.warning("领取待办失败，稍后重试", exc_info=True)
            stop.wait(2)
            continue
        busy = claim is not None
        if claim is None:
            stop.wait(poll)
            continue
        try:
            process(claim, name, lease)
        except KeyboardInterrupt:
            workqueue.release(claim, name)     # stopped mid-application: another worker takes it now
            raise
        except Exception:  # noqa: BLE001 — recording the result failed: the lease runs out, another takes it
            log.warning("记录办理结果失败", exc_info=True)
            stop.wait(2)
