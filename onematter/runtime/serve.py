"""`onematter serve`: the Prefect server, every deployment in deployments/prefect.yaml, and the
read-only document endpoint — on loopback, until Ctrl-C, stopping everything it started."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn
import yaml

from onematter.config import health
from onematter.config.privacy import MaskingFilter
from onematter.config.resources import CHECKOUT, deployments_file, in_checkout
from onematter.config.settings import get_settings
from onematter.web.app import create_app

log = logging.getLogger("onematter.serve")
RUN_RETENTION_DAYS = 30         # ended flow runs, with their task runs, logs and artifacts


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def load_deployments(path: Path | None = None) -> list[dict]:
    with open(path or deployments_file(), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["deployments"]


WORKER_EXECUTED = "onematter-worker"     # prefect.yaml `executed_by`: registered, run by the warm workers
REPAIR_EVERY, STALE_AFTER = 60.0, 600.0   # decision forms: checked every minute; a run held 10 min is lost


def runner_deployments(path: Path | None = None) -> list:
    """Every deployment of prefect.yaml as a RunnerDeployment (for `serve`); those the warm
    workers execute are marked `executed_by`."""
    from prefect.flows import load_flow_from_entrypoint  # lazy: Prefect fixes its settings when imported; serve sets PREFECT_API_URL first
    from prefect.schedules import Cron  # lazy: likewise

    result = []
    for spec in load_deployments(path):
        flow = load_flow_from_entrypoint(spec["entrypoint"])
        schedules = [Cron(s["cron"], timezone=s.get("timezone", "Asia/Shanghai"), active=s.get("active", True))
                     for s in spec.get("schedules") or []]
        result.append(flow.to_deployment(
            name=spec["name"], description=spec.get("description"), tags=spec.get("tags"),
            parameters=spec.get("parameters") or {}, schedules=schedules,
            enforce_parameter_schema=spec.get("enforce_parameter_schema", True)))
    return result


def worker_executed(path: Path | None = None) -> set[str]:
    """Deployments registered but not served here: the warm workers execute their runs."""
    return {s["name"] for s in load_deployments(path) if s.get("executed_by") == WORKER_EXECUTED}


def keep_forms_in_step(stop: threading.Event, started: dt.datetime, *, every: float = REPAIR_EVERY, echo=print) -> None:
    """The decision forms kept in step with the cases: at start-up (a run some worker held before
    this serve started is lost: taken again at once), then every `every` seconds (lost: held for
    longer than STALE_AFTER)."""
    from onematter.flows import forms  # lazy: Prefect fixes its settings when imported (after PREFECT_API_URL is set)
    lost_before, first = started, True
    while True:
        try:
            counts = asyncio.run(forms.repair(lost_before=lost_before))
            line = ("审核表单：{waiting} 个事项等待审核（新开表单 {opened} 个，重新办理 {rescheduled} 个，"
                    "作废 {voided} 个）").format(**counts)
            if first:
                echo(line)
                sys.stdout.flush()
            elif counts["opened"] or counts["rescheduled"] or counts["voided"]:
                log.info(line)
            first = False
        except Exception:  # noqa: BLE001 — the server or the database is away for a moment: next round
            log.warning("审核表单对齐失败，稍后重试", exc_info=True)
        if stop.wait(every):
            return
        lost_before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=STALE_AFTER)


def server_env(port: int) -> dict[str, str]:
    settings = get_settings()
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str(settings.data_dir / "prefect-server"))
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    # bounded storage: Prefect's own vacuum deletes ended flow runs (their task runs, logs,
    # artifacts) after the retention period, and events after PREFECT_SERVER_EVENTS_RETENTION_PERIOD
    # (Prefect's default, 7 days); the case lives in our database
    env.setdefault("PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED", "events,flow_runs")
    env.setdefault("PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD", str(RUN_RETENTION_DAYS * 86400))
    # a decision form never expires (it waits with timeout None until a supervisor answers), so the
    # pause-expiry service has nothing to do; left on, it loads every paused run each 5 s (300
    # waiting forms: about 0.2 of a core doing nothing)
    env.setdefault("PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED", "false")
    # no automations are defined, so the triggers service only reads every event for nothing
    env.setdefault("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "false")
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api"}
    return env


def wait_healthy(url: str, timeout: float = 180, auth: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{url}/health", timeout=2, auth=tuple(auth.split(":", 1)) if auth else None)
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect 服务器在 {timeout:.0f} 秒内没有就绪：{url}")


STOP_WITHIN = 8.0       # seconds from SIGTERM to everything stopped (the issue asks 10; systemd waits 90)
_stop_asked: list[float] = []


_stack: dict[str, object] = {}     # serve's children: "workers" (list of Popen), "server" (Popen)


def _terminate(signum, frame):  # SIGTERM (a service manager) stops the stack like Ctrl-C
    if not _stop_asked:
        _stop_asked.append(time.monotonic())
        # the workers stop alongside Prefect's runner (which pauses the schedules on the way out),
        # not after it; and whatever is still running when the time is up is killed, serve too
        for p in _stack.get("workers", []):
            _ask_stop(p)
        threading.Thread(target=_stop_anyway, daemon=True, name="stop-watchdog").start()
    raise KeyboardInterrupt


def _ask_stop(p: subprocess.Popen) -> None:
    """SIGTERM, once: a second one would interrupt the worker's own clean-up."""
    if p.poll() is None and not getattr(p, "asked_to_stop", False):
        p.asked_to_stop = True
        p.send_signal(signal.SIGTERM)


def descendants(root: int) -> list[int]:
    """Every process descended from `root` (read from /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            try:
                children.setdefault(int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _stop_anyway() -> None:
    """The time is up: everything serve started (workers, the Prefect server, a flow run's
    process the runner started) is killed, and serve exits."""
    time.sleep(max(0.0, _stop_asked[0] + STOP_WITHIN - time.monotonic()))
    logging.getLogger(__name__).warning("停止超时（%.0f 秒）：强制结束", STOP_WITHIN)
    server = _stack.get("server")
    if server is not None and server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)


def default_workers() -> int:
    """One warm worker per core, at most two by default (rendering is what they do)."""
    return max(1, min(2, os.cpu_count() or 1))


def start_worker(i: int) -> subprocess.Popen:
    """`onematter worker` number `i`, a child of this process (it stops when this one is gone),
    with its own log (Prefect's console lines; masked)."""
    env = dict(os.environ) | {"ONEMATTER_WORKER_PARENT": str(os.getpid())}
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"worker-{i}.log", "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "onematter.cli", "worker"], cwd=CHECKOUT if in_checkout() else None,
                                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def start_workers(count: int) -> list[subprocess.Popen]:
    return [start_worker(i) for i in range(1, count + 1)]


def start_server(env: dict, port: int) -> subprocess.Popen:
    """The Prefect server, in a process group of its own (stopped as a whole)."""
    return subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


RESTART_AFTER = (1, 2, 5, 10, 30, 60)      # seconds before the 1st, 2nd … restart of a part that died
STEADY = 300.0                             # up this long: its next death counts as the first again


def supervise(stopping: threading.Event, env: dict, port: int, auth: str | None, workers: list[subprocess.Popen],
              every: float = 1.0) -> None:
    """Keep what serve started running: a worker or the Prefect server that dies (killed, out of
    memory, a crash) is started again after a growing pause, logged, and counted on /health
    (config/health.py). Nothing is lost meanwhile: an application a dead worker held goes back
    to the queue when its lease runs out; a decision waits as rows."""
    parts = {"prefect_server": "Prefect 服务器", **{f"worker-{i}": f"工作进程 {i}" for i in range(1, len(workers) + 1)}}
    for key, label in parts.items():
        health.register(key, label)
    deaths = dict.fromkeys(parts, 0)
    since = dict.fromkeys(parts, time.monotonic())
    due: dict[str, float] = {}
    api_url = f"http://127.0.0.1:{port}/api"

    def proc(key: str) -> subprocess.Popen:
        return _stack["server"] if key == "prefect_server" else workers[int(key.split("-")[1]) - 1]

    while not stopping.wait(every):
        for key, label in parts.items():
            if _stop_asked or stopping.is_set():
                return
            p = proc(key)
            if p.poll() is None:
                continue
            at = time.monotonic()
            if key not in due:
                if at - since[key] > STEADY:
                    deaths[key] = 0
                pause = RESTART_AFTER[min(deaths[key], len(RESTART_AFTER) - 1)]
                deaths[key] += 1
                due[key] = at + pause
                log.warning("%s：已退出（退出码 %s），%d 秒后重新启动", label, p.returncode, pause)
                health.mark(key, up=False, detail=f"已退出（退出码 {p.returncode}），{pause} 秒后重新启动")
                continue
            if at < due[key]:
                continue
            del due[key]
            if key == "prefect_server":
                _stack["server"] = start_server(env, port)
                try:
                    wait_healthy(api_url, timeout=90, auth=auth)
                except TimeoutError:
                    log.warning("%s：重新启动后未就绪", label)
                    continue                        # still down: dies or answers; looked at again next round
            else:
                workers[int(key.split("-")[1]) - 1] = start_worker(int(key.split("-")[1]))
            since[key] = time.monotonic()
            health.mark(key, up=True, restarted=True)
            log.warning("%s：已重新启动（第 %d 次）", label, deaths[key])


def stop_processes(procs: list[subprocess.Popen], server: subprocess.Popen | None = None,
                   timeout: float = STOP_WITHIN) -> None:
    """SIGTERM to the workers and the Prefect server's process group at once; whatever still runs
    when the time is up (counted from the SIGTERM that asked serve to stop) is killed. Nothing
    waiting is lost: a decision waits as rows, a worker's application goes back to the queue."""
    for p in procs:
        _ask_stop(p)
    if server is not None and server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    start = _stop_asked[0] if _stop_asked else time.monotonic()
    deadline = max(start + timeout, time.monotonic() + 1.0)
    for p in [*procs, *([server] if server is not None else [])]:
        try:
            p.wait(max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if p is server:
                os.killpg(server.pid, signal.SIGKILL)
            else:
                p.kill()
            p.wait(5)


def serve(*, port: int = 4200, web_port: int = 4300, workers: int | None = None, echo=print) -> None:
    started = dt.datetime.now(dt.timezone.utc)
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C always stops the stack: a process started in the background by a non-interactive shell
    # (or under a test runner's worker) inherits SIGINT ignored, and Python then leaves it ignored
    signal.signal(signal.SIGINT, _terminate)
    env = server_env(port)
    api_url = f"http://127.0.0.1:{port}/api"
    server = start_server(env, port)
    worker_procs: list[subprocess.Popen] = []
    _stack["server"] = server
    stopping = threading.Event()
    try:
        auth = os.environ.get("PREFECT_SERVER_API_AUTH_STRING")
        wait_healthy(api_url, auth=auth)
        os.environ |= {"PREFECT_API_URL": api_url, "PREFECT_HOME": env["PREFECT_HOME"],
                       "PREFECT_RUNNER_POLL_FREQUENCY": os.environ.get("PREFECT_RUNNER_POLL_FREQUENCY", "1"),
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
        if auth:
            os.environ["PREFECT_API_AUTH_STRING"] = auth
        os.environ.setdefault("ONEMATTER_DOCUMENT_BASE_URL", f"http://127.0.0.1:{web_port}/documents")
        os.environ.setdefault("ONEMATTER_PUBLIC_BASE_URL", f"http://127.0.0.1:{web_port}")
        os.environ.setdefault("ONEMATTER_PREFECT_UI_URL", f"http://127.0.0.1:{port}")
        get_settings.cache_clear()
        _start_web(web_port)
        workers = default_workers() if workers is None else workers
        worker_procs = start_workers(workers)
        _stack["workers"] = worker_procs
        threading.Thread(target=supervise, args=(stopping, env, port, auth, worker_procs), daemon=True,
                         name="supervise").start()
        deployments = runner_deployments()

        def announce() -> None:  # once every deployment is registered, say the stack is ready
            names = {f"{d.flow_name}/{d.name}" for d in deployments}
            while True:
                try:
                    r = httpx.post(f"{api_url}/deployments/filter", json={}, timeout=5,
                                   auth=tuple(auth.split(":", 1)) if auth else None)
                    if len(r.json()) >= len(names):
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                time.sleep(0.3)
            echo(f"Prefect UI:   http://127.0.0.1:{port}")
            echo(f"PREFECT_API_URL={api_url}")
            echo(f"工作台: http://127.0.0.1:{web_port}/")
            echo(f"文书服务:     http://127.0.0.1:{web_port}/documents/（需登录）  文书核验: http://127.0.0.1:{web_port}/verify")
            echo(f"已部署：{'、'.join(sorted(names))}")
            echo(f"工作进程：{workers} 个，日志在 {get_settings().data_dir / 'logs'}"
                 f"（另一台机器加入：PREFECT_API_URL={api_url} onematter worker）")
            echo("按 Ctrl-C 停止（服务器、部署和文书服务一并停止）")
            sys.stdout.flush()

        threading.Thread(target=announce, daemon=True, name="announce").start()
        by_workers = worker_executed()
        for d in deployments:
            if d.name in by_workers:
                d.apply()                   # registered (the UI shows it, its form resumes into it), not served
        threading.Thread(target=keep_forms_in_step, args=(stopping, started), kwargs={"echo": echo}, daemon=True,
                         name="forms").start()
        from prefect import serve as prefect_serve  # lazy: Prefect fixes its settings when imported (after PREFECT_API_URL is set)
        prefect_serve(*[d for d in deployments if d.name not in by_workers], print_starting_message=False)
    finally:
        stopping.set()
        stop_processes(worker_procs, _stack.get("server", server))


def _start_web(port: int) -> None:
    """The staff page (with /documents and /verify) on loopback. Access logs stay off: a URL may
    carry a search term."""


    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                            server_header=False)
    logging.getLogger("uvicorn.error").addFilter(MaskingFilter())     # its tracebacks, masked
    threading.Thread(target=uvicorn.Server(config).run, daemon=True, name="web").start()
