"""Where the native server listens, and whom it believes: `--uds PATH` (a Unix socket),
`--fd N` (an inherited socket), `--backlog N`, alone and with `--workers 2`, and
`--forwarded-allow-ips` with addresses, CIDR ranges and `*`. Real `fasterapi run` processes,
spoken to over real sockets."""

import os
import socket
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ROOT, free_port

pytestmark = [
    pytest.mark.fasterapi_only,
    pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets"),
]

APP = '''"""App for tests/test_server_sockets.py."""

import os

from FasterAPI import Faster, Request

app = Faster()


@app.get("/hello")
def hello():
    return {"hello": "sockets"}


@app.get("/whoami")
def whoami(request: Request):
    client = request.client
    return {
        "client": None if client is None else [client.host, client.port],
        "scheme": request.url.scheme,
        "pid": os.getpid(),
    }


async def raw(scope, receive, send):
    client = scope["client"]
    host, port = client if client else (None, None)
    body = f"{host} {scope['scheme']} {port}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


app.mount("/raw", raw)
'''


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sockapp")
    (directory / "sock_app.py").write_text(APP)
    return directory


def command(*options: str) -> list[str]:
    return [sys.executable, "-m", "FasterAPI", "run", "sock_app:app", *options]


def environment() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")


class Running:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc, self.log = proc, log

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def fasterapi(app_dir: Path, ready, *options: str, pass_fds: tuple[int, ...] = ()):
    """`fasterapi run sock_app:app OPTIONS`, once `ready()` stops raising OSError/httpx errors."""
    log = app_dir / f"server-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command(*options),
            cwd=app_dir,
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
        )
    running = Running(proc, log)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{running.output()}")
            try:
                ready()
                break
            except (OSError, httpx.TransportError):
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{running.output()}")
                time.sleep(0.1)
        yield running
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def uds_client(path: Path) -> httpx.Client:
    transport = httpx.HTTPTransport(uds=str(path))
    return httpx.Client(transport=transport, base_url="http://localhost", timeout=5)


def hello_over(path: Path) -> object:
    """GET /hello over a new connection to the Unix socket `path`."""
    with uds_client(path) as client:
        return client.get("/hello").json()


def tcp_client(port: int) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, trust_env=False)


def short_dir(tmp_path: Path) -> Path:
    """A directory with a path short enough for a Unix socket (108 bytes at most)."""
    path = Path(f"/tmp/fa-{os.getpid()}-{tmp_path.name[-20:]}")
    path.mkdir(exist_ok=True)
    return path


# -- --uds ----------------------------------------------------------------------------------------


def test_unix_socket(app_dir, tmp_path):
    path = short_dir(tmp_path) / "app.sock"
    stale = socket.socket(socket.AF_UNIX)  # a socket file left by a server that died
    stale.bind(str(path))
    stale.close()
    os.chmod(path, 0o660)
    assert stat.S_ISSOCK(path.stat().st_mode)
    with uds_client(path) as client:
        with fasterapi(app_dir, lambda: client.get("/hello"), "--uds", str(path)) as server:
            assert client.get("/hello").json() == {"hello": "sockets"}  # the short path
            answer = client.get("/whoami").json()  # a Request
            assert (answer["client"], answer["scheme"]) == (None, "http")
            assert client.get("/raw/").text == "None http None"  # ASGI
            assert all(client.get("/hello").status_code == 200 for _ in range(20))
            assert stat.S_IMODE(path.stat().st_mode) == 0o660  # the old socket's permissions
            assert f"unix socket {path}" in server.output()
    assert server.proc.returncode == 0
    assert not path.exists()  # removed on shutdown
    assert "Traceback" not in server.output()


def test_unix_socket_gets_uvicorn_permissions(app_dir, tmp_path):
    path = short_dir(tmp_path) / "new.sock"
    with uds_client(path) as client:
        with fasterapi(app_dir, lambda: client.get("/hello"), "--uds", str(path)):
            assert stat.S_IMODE(path.stat().st_mode) == 0o666


def test_unix_socket_shared_by_two_workers(app_dir, tmp_path):
    path = short_dir(tmp_path) / "workers.sock"
    options = ("--uds", str(path), "--workers", "2")
    with uds_client(path) as client:
        with fasterapi(app_dir, lambda: client.get("/hello"), *options) as server:
            pids = set()
            deadline = time.monotonic() + 10
            while len(pids) < 2 and time.monotonic() < deadline:
                with uds_client(path) as fresh:  # a new connection: either worker may take it
                    pids.add(fresh.get("/whoami").json()["pid"])
            assert len(pids) == 2 and server.proc.pid not in pids
    assert server.proc.returncode == 0 and not path.exists()
    assert "Traceback" not in server.output()


def test_unix_socket_over_a_file_is_an_error(app_dir, tmp_path):
    path = short_dir(tmp_path) / "not-a-socket"
    path.write_text("keep me")
    result = subprocess.run(
        command("--uds", str(path)),
        cwd=app_dir,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert f"{path} exists and is not a socket" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_text() == "keep me"


def test_unix_socket_in_use_is_refused(app_dir, tmp_path):
    path = short_dir(tmp_path) / "live.sock"
    with uds_client(path) as client:
        with fasterapi(app_dir, lambda: client.get("/hello"), "--uds", str(path)) as first:
            inode = path.stat().st_ino
            for workers in ("1", "2"):
                result = subprocess.run(
                    command("--uds", str(path), "--workers", workers),
                    cwd=app_dir,
                    env=environment(),
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
                assert result.returncode == 1, result.stderr
                assert f"--uds: another server is listening on {path}" in result.stderr
                assert "Traceback" not in result.stderr
            assert path.stat().st_ino == inode  # the live socket was left in place
            assert client.get("/hello").json() == {"hello": "sockets"}  # and still serves
    assert first.proc.returncode == 0 and not path.exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_exit_leaves_another_servers_socket_alone(app_dir, tmp_path, workers):
    path = short_dir(tmp_path) / f"moved-{workers}.sock"
    options = ("--uds", str(path), "--workers", workers)
    with uds_client(path) as client:
        with fasterapi(app_dir, lambda: client.get("/hello"), *options) as first:
            path.unlink()  # the first server's file is gone: a second server may bind there
            with fasterapi(app_dir, lambda: hello_over(path), "--uds", str(path)) as second:
                inode = path.stat().st_ino
                first.proc.terminate()
                assert first.proc.wait(timeout=15) == 0
                assert path.stat().st_ino == inode  # the first one's exit kept the second's
                assert hello_over(path) == {"hello": "sockets"}
        assert second.proc.returncode == 0 and not path.exists()  # the second removed its own


# -- --fd -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_inherited_socket(app_dir, workers):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    fd = listener.fileno()
    with listener, tcp_client(port) as client:
        options = ("--fd", str(fd), "--workers", workers)
        with fasterapi(app_dir, lambda: client.get("/hello"), *options, pass_fds=(fd,)) as server:
            assert client.get("/hello").json() == {"hello": "sockets"}
            answer = client.get("/whoami").json()
            assert answer["client"][0] == "127.0.0.1" and answer["scheme"] == "http"
            pids = set()
            deadline = time.monotonic() + 10
            while len(pids) < int(workers) and time.monotonic() < deadline:
                with tcp_client(port) as fresh:
                    pids.add(fresh.get("/whoami").json()["pid"])
            assert len(pids) == int(workers)
            assert (server.proc.pid in pids) == (workers == "1")  # served by workers, or itself
            assert f"file descriptor {fd}" in server.output()
    assert server.proc.returncode == 0
    assert "Traceback" not in server.output()


def test_bad_fd_is_an_error(app_dir, tmp_path):
    with open(tmp_path / "file", "w") as not_a_socket:
        fd = not_a_socket.fileno()
        cases = [
            (("--fd", "999"), "--fd: file descriptor 999 is not open"),
            (("--fd", str(fd)), f"--fd: file descriptor {fd} is not a socket"),
            (("--fd", str(fd), "--uds", "/tmp/x.sock"), "--uds and --fd cannot be used together"),
            (("--backlog", "0"), "--backlog must be between 1 and 65535, got 0"),
            (("--backlog", str(2**40)), f"--backlog must be between 1 and 65535, got {2**40}"),
            (
                ("--backlog", str(2**40), "--workers", "2"),
                f"--backlog must be between 1 and 65535, got {2**40}",
            ),
        ]
        for options, message in cases:
            result = subprocess.run(
                command(*options),
                cwd=app_dir,
                env=environment(),
                capture_output=True,
                text=True,
                timeout=30,
                pass_fds=(fd,),
            )
            assert result.returncode == 1, (options, result.stderr)
            assert message in result.stderr, (options, result.stderr)
            assert "Traceback" not in result.stderr


def run_fasterapi(app_dir: Path, *options: str, pass_fds: tuple[int, ...] = ()):
    return subprocess.run(
        command(*options),
        cwd=app_dir,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=30,
        pass_fds=pass_fds,
    )


def test_fd_that_cannot_listen_is_an_error(app_dir):
    unbound = socket.socket()
    listener = socket.create_server(("127.0.0.1", 0))
    connected = socket.create_connection(listener.getsockname())
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    cases = [
        (unbound, "is not bound to an address"),
        (connected, "is a connected socket, not a listening one"),
        (udp, "is not a stream socket"),
    ]
    with unbound, listener, connected, udp:
        for sock, problem in cases:
            fd = sock.fileno()
            for workers in ("1", "2"):
                options = ("--fd", str(fd), "--workers", workers)
                result = run_fasterapi(app_dir, *options, pass_fds=(fd,))
                assert result.returncode == 1, (problem, result.stderr)
                assert f"--fd: file descriptor {fd} {problem}" in result.stderr
                assert "Traceback" not in result.stderr
        assert unbound.getsockname()[1] == 0  # nobody bound it to some random port


@pytest.mark.parametrize("workers", ["1", "2"])
def test_fd_bound_but_not_listening_is_made_to_listen(app_dir, workers):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    fd = sock.fileno()
    options = ("--fd", str(fd), "--workers", workers)
    with sock, tcp_client(port) as client:
        with fasterapi(app_dir, lambda: client.get("/hello"), *options, pass_fds=(fd,)) as server:
            assert client.get("/hello").json() == {"hello": "sockets"}
    assert server.proc.returncode == 0
    assert "Traceback" not in server.output()


# -- --backlog ------------------------------------------------------------------------------------


def listen_queue(port: int) -> int:
    """The listen queue's length of the socket listening on `port` (ss's Send-Q)."""
    lines = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines, f"nothing listens on {port}"
    return int(lines[0].split()[2])


@pytest.mark.skipif(
    subprocess.run(["which", "ss"], capture_output=True).returncode != 0, reason="needs ss"
)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_backlog(app_dir, workers):
    port = free_port()
    options = ("--host", "127.0.0.1", "--port", str(port), "--backlog", "37", "--workers", workers)
    with tcp_client(port) as client, fasterapi(app_dir, lambda: client.get("/hello"), *options):
        assert listen_queue(port) == 37
    port = free_port()
    options = ("--host", "127.0.0.1", "--port", str(port))
    with tcp_client(port) as client, fasterapi(app_dir, lambda: client.get("/hello"), *options):
        somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
        assert listen_queue(port) == min(2048, somaxconn)


# -- --forwarded-allow-ips ------------------------------------------------------------------------


@contextmanager
def tcp_server(app_dir: Path, *options: str):
    port = free_port()
    with tcp_client(port) as client:
        with fasterapi(
            app_dir,
            lambda: client.get("/hello"),
            *("--host", "127.0.0.1", "--port", str(port), *options),
        ) as server:
            yield client, server


def seen(client: httpx.Client, headers: dict[str, str]) -> list[tuple[str | None, str]]:
    """(client host, scheme) as a Request on a native route and as a raw ASGI app see them."""
    answer = client.get("/whoami", headers=headers).json()
    host, scheme, _port = client.get("/raw/", headers=headers).text.split()
    return [(answer["client"][0], answer["scheme"]), (host, scheme)]


def seen_client(client: httpx.Client, headers: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """The client (host, port) as a Request on a native route and as a raw ASGI app see it."""
    host, port = client.get("/whoami", headers=headers).json()["client"]
    raw_host, _scheme, raw_port = client.get("/raw/", headers=headers).text.split()
    return [(host, port), (raw_host, int(raw_port))]


# (--forwarded-allow-ips, X-Forwarded-For, the client the app sees)
FORWARDED_CASES = [
    # the default trusts 127.0.0.1 only: the rightmost hop is the client
    (None, "1.2.3.4", "1.2.3.4"),
    (None, "1.2.3.4, 10.0.0.5", "10.0.0.5"),
    (None, "1.2.3.4, 127.0.0.1", "1.2.3.4"),  # a trusted hop is skipped
    # networks: the first hop from the right outside them
    ("127.0.0.0/8, 10.0.0.0/8", "1.2.3.4, 10.1.2.3", "1.2.3.4"),
    ("127.0.0.0/8,10.0.0.0/8", "9.9.9.9, 1.2.3.4, 10.1.2.3, 10.0.0.7", "1.2.3.4"),
    ("127.0.0.1,10.0.0.0/8", "10.0.0.1, 10.0.0.2", "10.0.0.1"),  # all trusted: the leftmost
    ("127.0.0.1, 2001:db8::/32", "1.2.3.4, 2001:db8::7", "1.2.3.4"),
    # anyone: the leftmost, as uvicorn
    ("*", "1.2.3.4, 5.6.7.8", "1.2.3.4"),
]


@pytest.mark.parametrize("allowed, forwarded_for, expected", FORWARDED_CASES)
def test_forwarded_for_from_trusted_proxies(app_dir, allowed, forwarded_for, expected):
    options = () if allowed is None else ("--forwarded-allow-ips", allowed)
    with tcp_server(app_dir, *options) as (client, server):
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
        assert seen(client, headers) == [(expected, "https")] * 2
        assert seen(client, {}) == [("127.0.0.1", "http")] * 2  # no headers: the peer
        assert client.get("/hello", headers=headers).json() == {"hello": "sockets"}
    assert "Traceback" not in server.output()


@pytest.mark.parametrize(
    "options",
    [
        ("--forwarded-allow-ips", "10.0.0.0/8"),  # 127.0.0.1 is not in it
        ("--forwarded-allow-ips", "192.168.0.1, proxy.internal"),
        ("--no-proxy-headers", "--forwarded-allow-ips", "*"),
    ],
    ids=["other-network", "other-hosts", "no-proxy-headers"],
)
def test_forwarded_headers_from_others_are_ignored(app_dir, options):
    with tcp_server(app_dir, *options) as (client, _server):
        headers = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
        assert seen(client, headers) == [("127.0.0.1", "http")] * 2


def test_forwarded_allow_ips_from_the_environment(app_dir, monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    with tcp_server(app_dir) as (client, _server):
        assert seen(client, {"X-Forwarded-For": "1.2.3.4"}) == [("127.0.0.1", "http")] * 2


def test_trusted_proxies_parse_like_uvicorn():
    from FasterAPI.server.serving import TrustedProxies

    proxies = TrustedProxies("10.0.0.0/8, 192.168.1.1, ::1, fd00::/8, unix:")
    assert "10.200.3.4" in proxies and "192.168.1.1" in proxies and "::1" in proxies
    assert "fd12::1" in proxies and "unix:" in proxies
    assert "::ffff:10.1.1.1" in proxies  # an IPv4 client on a dual-stack socket
    assert "11.0.0.1" not in proxies and "192.168.1.2" not in proxies and "proxy" not in proxies
    assert proxies.client("1.1.1.1, 10.0.0.1, 192.168.1.1") == ("1.1.1.1", 0)
    assert proxies.client(" 10.0.0.1 ,10.0.0.2") == ("10.0.0.1", 0)
    assert proxies.client("garbage, 10.0.0.2") == ("garbage", 0)
    assert TrustedProxies("*").client("1.1.1.1, 2.2.2.2") == ("1.1.1.1", 0)
    assert "8.8.8.8" in TrustedProxies("*")


# (--forwarded-allow-ips, X-Forwarded-For headers in order, the client (host, port) the app sees)
FORWARDED_CLIENT_CASES = [
    # several X-Forwarded-For headers are one list, in order (a proxy may add a header line)
    ("127.0.0.1, 10.0.0.0/8", ["6.6.6.6", "10.0.0.5"], ("6.6.6.6", 0)),
    ("127.0.0.1, 10.0.0.0/8", ["10.0.0.7", "6.6.6.6"], ("6.6.6.6", 0)),
    ("127.0.0.1, 10.0.0.0/8", ["1.1.1.1, 6.6.6.6", "10.0.0.5, 10.0.0.6"], ("6.6.6.6", 0)),
    # hops with a port: host:port and [v6]:port
    ("127.0.0.1", ["6.6.6.6:5555"], ("6.6.6.6", 5555)),
    ("127.0.0.1", ["[2001:db8::1]:4711"], ("2001:db8::1", 4711)),
    ("127.0.0.1", ["[2001:db8::1]"], ("2001:db8::1", 0)),
    ("127.0.0.1, 10.0.0.0/8", ["6.6.6.6, 10.0.0.5:443"], ("6.6.6.6", 0)),
    ("127.0.0.1, 10.0.0.0/8", ["6.6.6.6:80, 10.0.0.5:443"], ("6.6.6.6", 80)),
    ("127.0.0.1, 2001:db8::/32", ["6.6.6.6, [2001:db8::5]:443"], ("6.6.6.6", 0)),
    ("127.0.0.1, 10.0.0.0/8", ["10.0.0.1:1, 10.0.0.2:2"], ("10.0.0.1", 1)),  # all trusted
    ("*", ["6.6.6.6:5555, 7.7.7.7"], ("6.6.6.6", 5555)),
    ("127.0.0.1", ["garbage:port"], ("garbage:port", 0)),  # not host:port: kept whole
    # allowed proxies written as IPv4-mapped IPv6 addresses
    ("127.0.0.1, ::ffff:0:0/96", ["6.6.6.6, ::ffff:10.1.2.3"], ("6.6.6.6", 0)),
    ("127.0.0.1, ::ffff:10.0.0.5", ["6.6.6.6, ::ffff:10.0.0.5"], ("6.6.6.6", 0)),
    ("::ffff:127.0.0.1", ["6.6.6.6"], ("6.6.6.6", 0)),  # the peer 127.0.0.1, mapped
    ("::ffff:0:0/96", ["6.6.6.6, 10.0.0.5"], ("6.6.6.6", 0)),  # every IPv4 address
]


@pytest.mark.parametrize("allowed, forwarded_for, expected", FORWARDED_CLIENT_CASES)
def test_forwarded_for_client_address(app_dir, allowed, forwarded_for, expected):
    with tcp_server(app_dir, "--forwarded-allow-ips", allowed) as (client, server):
        headers = [("X-Forwarded-For", value) for value in forwarded_for]
        assert seen_client(client, headers) == [expected] * 2
    assert "Traceback" not in server.output()


def test_mapped_proxy_on_a_dual_stack_socket(app_dir):
    """A proxy connecting over IPv4 to a dual-stack socket is seen as ::ffff:127.0.0.1."""
    if not socket.has_dualstack_ipv6():
        pytest.skip("no dual-stack IPv6")
    listener = socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    with listener, tcp_client(port) as client:
        for allowed in ("::ffff:127.0.0.1", "::ffff:127.0.0.0/104", "127.0.0.1"):
            options = ("--fd", str(fd), "--forwarded-allow-ips", allowed)
            with fasterapi(app_dir, lambda: client.get("/hello"), *options, pass_fds=(fd,)):
                assert client.get("/whoami").json()["client"][0] == "::ffff:127.0.0.1"
                assert seen_client(client, [("X-Forwarded-For", "6.6.6.6")]) == [("6.6.6.6", 0)] * 2


def test_long_forwarded_hosts_are_not_kept(app_dir):
    """X-Forwarded-For hosts longer than any IP address are not remembered (a cache of
    1024 hosts of 50 KB each would hold 50 MB)."""
    with tcp_server(app_dir) as (client, server):
        memory = f"/proc/{server.proc.pid}/status"

        def rss_kb() -> int:
            lines = Path(memory).read_text().splitlines()
            return int(next(line for line in lines if line.startswith("VmRSS")).split()[1])

        padding = "B" * 50_000
        for i in range(50):  # warm up
            client.get("/raw/", headers={"X-Forwarded-For": f"{i:06d}{padding}"})
        before = rss_kb()
        for i in range(1100):
            answer = client.get("/raw/", headers={"X-Forwarded-For": f"x{i:06d}{padding}"})
            assert answer.status_code == 200
        grown = rss_kb() - before
        assert grown < 20_000, f"the server grew by {grown} KB"
