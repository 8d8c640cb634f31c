"""deploy/: the nginx config that deploy/replicas.sh renders for N replicas is what nginx accepts, sticky and
websocket-ready. (Running replicas behind it is docs/DEPLOY.md's check; the 16-session bench is to come.)"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def render(tmp_path, *args) -> str:
    env = {**os.environ, "RUN_DIR": str(tmp_path)}
    proc = subprocess.run(["bash", "deploy/replicas.sh", "--config-only", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_one_server_line_per_replica_sticky_by_cookie_and_websockets(tmp_path):
    conf = render(tmp_path, "--replicas", "3", "--first-port", "9001", "--listen", "0.0.0.0:8080")
    servers = [line.split()[1] for line in conf.splitlines() if line.strip().startswith("server 127.")]
    assert servers == ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"]
    assert "hash $latentlab_route consistent;" in conf and "listen 0.0.0.0:8080;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "@" not in conf  # every placeholder filled
    assert f"pid {tmp_path}/nginx.pid;" in conf  # nginx writes only under its run folder


def test_bad_options_are_one_clear_error(tmp_path):
    proc = subprocess.run(["bash", "deploy/replicas.sh", "--replicas", "0"], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "RUN_DIR": str(tmp_path)})
    assert proc.returncode == 2 and "--replicas must be a positive number" in proc.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_config(tmp_path):
    render(tmp_path, "--replicas", "2")
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "syntax is ok" in proc.stderr
