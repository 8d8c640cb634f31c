"""The deployment that `python -m bench replicas` drives: deploy/replicas.sh on free ports, its replicas' process
ids, their memory and CPU from /proc, and nginx's access log read back per route cookie."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import REPO

CLK = os.sysconf("SC_CLK_TCK")

def free_ports(n: int) -> int:
    """The first of n consecutive ports that are free now (deploy/replicas.sh numbers replicas from one)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        try:
            for port in range(first, first + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {n} consecutive free ports")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@dataclass
class Deployment:
    url: str  # the proxy
    ports: list[int]  # the replicas'
    run_dir: Path
    script: subprocess.Popen
    pids: dict[int, int] = field(default_factory=dict)  # port -> the replica's process id


def children(pid: int) -> list[int]:
    """Process ids whose parent is pid (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def tree(pid: int) -> list[int]:
    """pid and all its descendants (a replica's training workers, if any)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children(p))
    return found


def usage(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds user + system) of pid's process tree; processes gone meanwhile count 0."""
    rss = cpu = 0.0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024 if "VmRSS" in status else 0
        cpu += (int(fields[11]) + int(fields[12])) / CLK  # utime, stime (fields 14 and 15 of stat)
    return rss, cpu


@contextmanager
def deployment(root: Path, run_dir: Path, replicas: int = 2, timeout: float = 300):
    """deploy/replicas.sh with `replicas` replicas over `root`, on free ports; stopped (SIGTERM) at the end."""
    listen, first = free_ports(1), free_ports(replicas)
    env = {**os.environ, "PYTHON": sys.executable, "RUN_DIR": str(run_dir)}
    cmd = ["bash", "deploy/replicas.sh", "--replicas", str(replicas), "--listen", f"127.0.0.1:{listen}",
           "--first-port", str(first), "--checkpoints", str(root)]
    log = open(run_dir / "replicas.sh.log", "wb")  # noqa: SIM115 - closed below, after the script stops
    script = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    dep = Deployment(f"http://127.0.0.1:{listen}", list(range(first, first + replicas)), run_dir, script)
    try:
        deadline = time.monotonic() + timeout
        while not healthy(dep.url):
            if script.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"deploy/replicas.sh did not come up:\n{(run_dir / 'replicas.sh.log').read_text()}")
            time.sleep(0.5)
        for pid in children(script.pid):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"explorer" in cmdline and b"--port" in cmdline:
                dep.pids[int(cmdline[cmdline.index(b"--port") + 1])] = pid
        assert sorted(dep.pids) == dep.ports, (dep.pids, dep.ports)
        yield dep
    finally:
        script.send_signal(signal.SIGTERM)  # the script's trap stops nginx and every replica
        try:
            script.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(script.pid, signal.SIGKILL)  # the group this bench started, by its id
            script.wait()
        log.close()


def routes_in_log(access_log: Path) -> dict[str, list[tuple[str, str]]]:
    """route cookie -> (path, upstream addresses) of each of its requests, from nginx's access log (the format in
    deploy/nginx.conf.in: a retried request lists every replica it tried, the one that answered last)."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in access_log.read_text().splitlines():
        m = re.search(r'"\S+ (\S+) [^"]*" \d+ upstream="([^"]*)" route=(\S+)', line)
        if m and m.group(2) not in ("", "-"):
            out[m.group(3)].append((m.group(1), m.group(2)))
    return out


def answered_by(upstreams: str) -> str:
    """The replica that answered a request ("a, b": nginx tried a, then b answered)."""
    return upstreams.split(",")[-1].strip()
