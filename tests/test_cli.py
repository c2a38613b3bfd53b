"""`fasterapi run` / `fasterapi dev` (FasterAPI.server.cli), `FasterAPI.run(app)` (cli.run_app)
and the process supervisor (FasterAPI.server.supervisor): options and defaults, finding the app,
one-line errors, and real worker and reload processes serving through a stand-in for
`serving.serve`."""

import asyncio
import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from FasterAPI import Faster
from FasterAPI.server import cli, logs, supervisor
from FasterAPI.server import serving as server

from tests.support.servers import free_port

# The CLI is FasterAPI's own; real FastAPI (FASTERAPI_SHIM) has none.
pytestmark = pytest.mark.fasterapi_only

APP_SOURCE = 'from FasterAPI import Faster\n\napp = Faster(title="{title}")\n'
DEFAULT_CONFIG = {
    "root_path": "",
    "log_level": "info",
    "access_log": True,
    "proxy_headers": True,
    "forwarded_allow_ips": "127.0.0.1",
    "limit_concurrency": None,
    "timeout_keep_alive": 5.0,
    "timeout_graceful_shutdown": None,
}

# A module for the process tests. Importing it swaps `FasterAPI.server.serving.serve` for a tiny
# stdlib HTTP responder answering "<VERSION> <pid>", so every spawned worker, which imports the app
# again, serves with it. PIDAPP_IGNORE_SIGTERM makes it a server that will not stop.
PID_APP = '''"""App for tests/test_cli.py: serves "<VERSION> <pid>" through a stand-in server."""

import os
import signal
import socket

import FasterAPI.server.serving
from FasterAPI import Faster

VERSION = "{version}"


def fake_serve(app, config, sock=None, tell=None):
    if sock is None:
        sock = socket.create_server((config.host, config.port), reuse_port=True)
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    if os.environ.get("PIDAPP_IGNORE_SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    sock.settimeout(0.05)
    while not stopping:
        try:
            conn, _ = sock.accept()
        except (TimeoutError, InterruptedError):
            continue
        with conn:
            conn.settimeout(2)
            request = b""
            while b"\\r\\n\\r\\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
            body = f"{{VERSION}} {{os.getpid()}}".encode()
            head = f"HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: {{len(body)}}"
            conn.sendall(head.encode() + b"\\r\\n\\r\\n" + body)
    sock.close()
    return 0


FasterAPI.server.serving.serve = fake_serve
app = Faster()
'''


# -- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    """Restore what the CLI changes in this process: sys.path, modules imported from tmp_path,
    the "fasterapi" logger and the event loop policy."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    logger = logging.getLogger("fasterapi")
    saved_logger = (list(logger.handlers), logger.level, logger.propagate)
    policy = asyncio.get_event_loop_policy()
    yield
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]
    logger.handlers[:] = saved_logger[0]
    logger.setLevel(saved_logger[1])
    logger.propagate = saved_logger[2]
    asyncio.set_event_loop_policy(policy)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project directory, made the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def served(monkeypatch):
    """What the CLI asked to serve, recorded instead of served: ("serve", app, config),
    ("workers", source, config, n) or ("reload", source, config, dirs)."""
    calls = []

    def serve(app, config, sock=None):
        calls.append(("serve", app, config))
        return 0

    def run_workers(source, config, workers):
        calls.append(("workers", str(source), config, workers))
        return 0

    def run_with_reload(source, config, reload_dirs):
        calls.append(("reload", str(source), config, [str(d) for d in reload_dirs]))
        return 0

    monkeypatch.setattr(server, "serve", serve)
    monkeypatch.setattr(supervisor, "run_workers", run_workers)
    monkeypatch.setattr(supervisor, "run_with_reload", run_with_reload)
    return calls


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_app(path: Path, title: str | None = None) -> Path:
    return write(path, APP_SOURCE.format(title=title or path.name))


def served_app_title(served) -> str:
    [(kind, app, _config)] = served
    assert kind == "serve"
    return app.title


# -- options and defaults -----------------------------------------------------------------------


def test_run_defaults():
    args = cli.build_parser().parse_args(["run"])
    assert args.command == "run"
    assert args.path is None and args.app is None
    assert (args.host, args.port, args.workers, args.reload) == ("0.0.0.0", 8000, 1, False)
    assert (args.log_level, args.access_log, args.proxy_headers) == ("info", True, True)
    assert args.root_path == "" and args.forwarded_allow_ips is None
    assert args.limit_concurrency is None and args.timeout_graceful_shutdown is None
    assert args.timeout_keep_alive == 5.0


def test_dev_defaults():
    args = cli.build_parser().parse_args(["dev"])
    assert (args.host, args.port, args.reload) == ("127.0.0.1", 8000, True)
    assert not hasattr(args, "workers")


def test_default_config(project, served):
    write_app(project / "main.py")
    assert cli.main(["run", "--no-reload"]) == 0
    assert served[0][2] == server.Config(host="0.0.0.0", port=8000, **DEFAULT_CONFIG)


def test_every_option_reaches_the_config(project, served):
    write_app(project / "main.py")
    argv = [
        "run",
        "--host=127.0.0.2",
        "--port=9000",
        "--log-level=DEBUG",
        "--no-access-log",
        "--root-path=/api",
        "--no-proxy-headers",
        "--forwarded-allow-ips=10.0.0.1,10.0.0.2",
        "--limit-concurrency=100",
        "--timeout-keep-alive=2.5",
        "--timeout-graceful-shutdown=7",
        "--no-ws-per-message-deflate",
    ]
    assert cli.main(argv) == 0
    assert served[0][2] == server.Config(
        host="127.0.0.2",
        port=9000,
        root_path="/api",
        log_level="debug",
        access_log=False,
        proxy_headers=False,
        forwarded_allow_ips="10.0.0.1,10.0.0.2",
        limit_concurrency=100,
        timeout_keep_alive=2.5,
        timeout_graceful_shutdown=7.0,
        ws_per_message_deflate=False,
    )


def test_forwarded_allow_ips_default_comes_from_the_environment(project, served, monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    write_app(project / "main.py")
    assert cli.main(["run"]) == 0
    assert served[0][2].forwarded_allow_ips == "*"


def test_run_serves_in_this_process_and_says_where(project, served, capsys):
    write_app(project / "main.py")
    assert cli.main(["run"]) == 0
    assert served_app_title(served) == "main.py"
    err = capsys.readouterr().err
    assert (
        "FasterAPI serving main:app on http://0.0.0.0:8000 (docs at http://0.0.0.0:8000/docs)"
    ) in err


def test_the_exit_code_of_serve_is_returned(project, monkeypatch):
    write_app(project / "main.py")
    monkeypatch.setattr(server, "serve", lambda app, config, sock=None: 3)
    assert cli.main(["run"]) == 3


def test_dev_reloads_from_a_child_process(project, served, capsys):
    write_app(project / "main.py")
    assert cli.main(["dev"]) == 0
    [(kind, source, config, dirs)] = served
    assert (kind, source, config.host, dirs) == ("reload", "main:app", "127.0.0.1", [str(project)])
    assert (
        "on http://127.0.0.1:8000 (docs at http://127.0.0.1:8000/docs)" in capsys.readouterr().err
    )


def test_dev_without_reload_serves_in_this_process(project, served):
    write_app(project / "main.py")
    assert cli.main(["dev", "--no-reload"]) == 0
    assert served_app_title(served) == "main.py"


def test_run_with_workers_uses_the_supervisor(project, served):
    write_app(project / "main.py")
    assert cli.main(["run", "--workers", "3"]) == 0
    [(kind, source, config, workers)] = served
    assert (kind, source, config.host, workers) == ("workers", "main:app", "0.0.0.0", 3)


def test_quiet_log_level_hides_the_serving_line(project, served, capsys):
    write_app(project / "main.py")
    assert cli.main(["run", "--log-level", "warning"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv, complaint",
    [
        (["dev", "--workers=2"], "unrecognized arguments: --workers=2"),
        (["run", "--port", "http"], "argument --port: invalid int value: 'http'"),
        (["run", "--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_exit_2(served, capsys, argv, complaint):
    assert cli.main(argv) == 2
    assert complaint in capsys.readouterr().err
    assert served == []


def test_python_dash_m_help():
    result = subprocess.run(
        [sys.executable, "-m", "FasterAPI", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "usage: fasterapi" in result.stdout
    assert "run" in result.stdout and "dev" in result.stdout


# -- finding the app ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files, chosen",
    [
        (["main.py", "app.py", "api.py", "app/main.py"], "main.py"),
        (["app.py", "api.py"], "app.py"),
        (["api.py", "app/main.py"], "api.py"),
        (["app/main.py", "app/app.py", "app/api.py"], "app/main.py"),
        (["app/app.py", "app/api.py"], "app/app.py"),
        (["app/api.py"], "app/api.py"),
    ],
)
def test_default_files_are_tried_in_order(project, served, files, chosen):
    for name in files:
        write_app(project / name, title=name)
    assert cli.main(["run"]) == 0
    assert served_app_title(served) == chosen


def test_default_file_inside_a_package(project, served):
    write(project / "app" / "__init__.py", "")
    write_app(project / "app" / "main.py", title="package")
    assert cli.main(["dev"]) == 0
    assert served[0][1:2] == ("app.main:app",)
    assert served[0][3] == [str(project)]


def test_import_string(project, served):
    write(project / "shop" / "__init__.py", "")
    write_app(project / "shop" / "api.py", title="shop")
    assert cli.main(["run", "shop.api:app"]) == 0
    assert served_app_title(served) == "shop"
    assert sys.path[0] == str(project)


def test_import_string_names_the_attribute(project, served):
    write(project / "svc.py", APP_SOURCE.format(title="app") + 'admin = Faster(title="admin")\n')
    assert cli.main(["run", "svc:admin"]) == 0
    assert served_app_title(served) == "admin"


def test_module_name_without_attribute_discovers_the_app(project, served):
    write_app(project / "svc.py", title="svc")
    assert cli.main(["run", "svc"]) == 0
    assert served_app_title(served) == "svc"


def test_file_path_imports_from_the_topmost_non_package_directory(project, served, capsys):
    write(project / "src" / "shop" / "__init__.py", "")
    write_app(project / "src" / "shop" / "web.py", title="web")
    assert cli.main(["dev", "--no-reload", "src/shop/web.py"]) == 0
    assert served_app_title(served) == "web"
    assert sys.path[0] == str(project / "src")
    assert "FasterAPI serving shop.web:app" in capsys.readouterr().err


def test_file_path_with_attribute(project, served):
    write(
        project / "src" / "svc.py", APP_SOURCE.format(title="app") + 'admin = Faster(title="a")\n'
    )
    assert cli.main(["run", "src/svc.py:admin"]) == 0
    assert served_app_title(served) == "a"


def test_package_directory_path(project, served):
    write_app(project / "shop" / "__init__.py", title="shop package")
    assert cli.main(["run", "shop"]) == 0
    assert served_app_title(served) == "shop package"


def test_absolute_path_outside_the_current_directory(project, served, monkeypatch):
    elsewhere = write_app(project / "elsewhere" / "svc.py", title="elsewhere")
    (project / "cwd").mkdir()
    monkeypatch.chdir(project / "cwd")
    assert cli.main(["run", str(elsewhere)]) == 0
    assert served_app_title(served) == "elsewhere"


@pytest.mark.parametrize(
    "source, argv, chosen",
    [
        ('app = Faster(title="app")\napi = Faster(title="api")\n', [], "app"),
        ('other = Faster(title="other")\napi = Faster(title="api")\n', [], "api"),
        (
            'helper = 1\nfirst = Faster(title="first")\nsecond = Faster(title="second")\n',
            [],
            "first",
        ),
        ('app = "not an app"\nserver = Faster(title="server")\n', [], "server"),
        (
            'app = Faster(title="app")\ncustom = Faster(title="custom")\n',
            ["--app", "custom"],
            "custom",
        ),
    ],
)
def test_which_app_in_the_module(project, served, source, argv, chosen):
    write(project / "main.py", "from FasterAPI import Faster\n\n" + source)
    assert cli.main(["run", *argv]) == 0
    assert served_app_title(served) == chosen


def test_any_asgi_callable_is_served(project, served):
    write(project / "main.py", "async def app(scope, receive, send):\n    pass\n")
    assert cli.main(["run", "main:app"]) == 0
    assert served[0][1].__name__ == "app"


# -- user mistakes: exit code 1 and one line on stderr ------------------------------------------

APP = APP_SOURCE.format(title="app")


@pytest.mark.parametrize(
    "files, argv, message",
    [
        ({}, ["run"], "Could not find a default file to run, please provide an explicit path"),
        ({}, ["run", "missing.py"], "Path does not exist: missing.py"),
        ({}, ["dev", "nosuchmodule:app"], "Could not import module 'nosuchmodule': "),
        (
            {"main.py": "import not_installed_anywhere\n"},
            ["run"],
            "Could not import module 'main': ModuleNotFoundError: "
            "No module named 'not_installed_anywhere'",
        ),
        ({"main.py": "app = (\n"}, ["run"], "Could not import module 'main': SyntaxError: "),
        ({"main.py": "x = 1\nraise RuntimeError('boom')\n"}, ["run"], "RuntimeError: boom ("),
        ({"main.py": APP}, ["run", "main:nope"], "Could not find app 'nope' in module 'main'"),
        ({"main.py": APP}, ["run", "--app", "nope"], "Could not find app 'nope' in module 'main'"),
        ({"main.py": APP}, ["run", "main:app", "--app", "other"], "give only one"),
        ({"main.py": "x = 1\n"}, ["run"], "Could not find a FasterAPI app in module 'main'"),
        (
            {"main.py": "settings = {'debug': True}\n"},
            ["run", "main:settings"],
            "main:settings is not an ASGI app (got dict)",
        ),
        (
            {"main.py": "from FasterAPI import Faster\n"},
            ["run", "main:Faster"],
            "main:Faster is not an ASGI app (got the class Faster)",
        ),
        (
            {"main.py": "def helper():\n    pass\n"},
            ["run", "--app", "helper"],
            "main:helper is not an ASGI app (got function)",
        ),
        ({"notes.txt": "hi\n"}, ["run", "notes.txt"], "is not a Python file (.py)"),
        ({"lib/x.py": ""}, ["run", "lib"], "is a directory without __init__.py"),
        ({"main.py": APP}, ["run", "--port", "0"], "--port must be between 1 and 65535, got 0"),
        ({"main.py": APP}, ["run", "--port", "65536"], "--port must be between 1 and 65535"),
        ({"main.py": APP}, ["run", "--workers", "0"], "--workers must be at least 1, got 0"),
        (
            {"main.py": APP},
            ["run", "--workers", "2", "--reload"],
            "--workers cannot be used with --reload",
        ),
        ({"main.py": APP}, ["run", "--limit-concurrency", "0"], "--limit-concurrency must be"),
        ({"main.py": APP}, ["dev", "--timeout-keep-alive", "-1"], "must not be negative"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_1(project, served, capsys, files, argv, message):
    for name, text in files.items():
        write(project / name, text)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and message in err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert served == []


def test_import_error_says_where_it_happened(project, served, capsys):
    write(project / "main.py", "x = 1\nraise RuntimeError('boom')\n")
    assert cli.main(["run"]) == 1
    assert f"RuntimeError: boom ({project / 'main.py'}, line 2)" in capsys.readouterr().err


# -- app.run() ----------------------------------------------------------------------------------


def test_fasterapi_run_is_the_cli_machinery():
    import FasterAPI

    assert FasterAPI.run is cli.run_app


def test_run_app_serves_in_this_process(served):
    app = Faster()
    assert cli.run_app(app, port=9001, log_level="warning", access_log=False) == 0
    [(kind, served_app, config)] = served
    assert kind == "serve" and served_app is app
    expected = {**DEFAULT_CONFIG, "log_level": "warning", "access_log": False}
    assert config == server.Config(host="127.0.0.1", port=9001, **expected)


def test_run_app_rejects_unknown_options(served):
    with pytest.raises(TypeError, match="unexpected keyword arguments: colour"):
        cli.run_app(Faster(), colour="blue")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"port": 0}, "port must be between 1 and 65535"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"workers": 2, "reload": True}, "workers cannot be used with reload"),
    ],
)
def test_run_app_rejects_bad_values(served, options, message):
    with pytest.raises(ValueError, match=message):
        cli.run_app(Faster(), **options)
    assert served == []


def test_run_app_workers_need_a_module_level_app(served):
    local_app = Faster()
    with pytest.raises(ValueError, match="must be a module-level variable"):
        cli.run_app(local_app, workers=2)
    assert served == []


def test_run_app_workers_import_the_app_from_its_module(tmp_path, served):
    code = APP_SOURCE.format(title="svc") + (
        "\n\ndef start(**options):\n    from FasterAPI.server.cli import run_app\n\n"
        "    return run_app(app, **options)\n"
    )
    write(tmp_path / "runner" / "svc.py", code)
    sys.path.insert(0, str(tmp_path / "runner"))
    import svc

    assert svc.start(workers=2, port=9002) == 0
    assert svc.start(reload=True) == 0
    [workers, reload] = served
    assert workers[:2] == ("workers", "svc:app") and workers[2].port == 9002 and workers[3] == 2
    assert reload[:2] == ("reload", "svc:app") and reload[3] == [str(tmp_path / "runner")]


def test_use_uvloop_sets_the_event_loop_policy():
    uvloop = pytest.importorskip("uvloop")
    assert logs.use_uvloop() is True
    assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)


def test_use_uvloop_without_uvloop(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes `import uvloop` fail
    assert logs.use_uvloop() is False


# -- supervisor pieces --------------------------------------------------------------------------


def test_restart_delay_backs_off_while_a_worker_keeps_crashing():
    assert [supervisor.restart_delay(n) for n in range(5)] == [0.1, 0.4, 1.6, 5.0, 5.0]


def test_polling_watcher_reports_changed_python_files(tmp_path):
    first = write(tmp_path / "first.py", "x = 1\n")
    write(tmp_path / ".venv" / "lib" / "dep.py", "")
    write(tmp_path / "env" / "pyvenv.cfg", "")
    write(tmp_path / "env" / "lib" / "dep.py", "")
    changes = iter(supervisor.PollingWatcher([tmp_path], interval=0.01))
    assert next(changes) == []
    first.write_text("x = 22\n")
    second = write(tmp_path / "pkg" / "second.py", "")
    write(tmp_path / ".venv" / "lib" / "dep.py", "changed = True\n")
    write(tmp_path / "env" / "lib" / "dep.py", "changed = True\n")
    write(tmp_path / "notes.txt", "not python\n")
    assert next(changes) == [first, second]
    second.unlink()
    assert next(changes) == [second]
    assert next(changes) == []


def test_make_watcher_falls_back_to_polling(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    assert isinstance(supervisor.make_watcher([tmp_path]), supervisor.PollingWatcher)


def test_busy_port_is_an_error_not_a_crash_loop(capsys):
    logs.configure_logging("info")
    with socket.create_server(("127.0.0.1", 0)) as busy:
        config = server.Config(host="127.0.0.1", port=busy.getsockname()[1])
        assert supervisor.run_workers("main:app", config, 2) == 1
        assert supervisor.run_with_reload("main:app", config, []) == 1
    assert capsys.readouterr().err.count("Could not bind to 127.0.0.1:") == 2


# -- real processes -----------------------------------------------------------------------------

linux_only = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the process table from /proc"
)


def process_state(pid: int) -> str | None:
    """The process's state letter from /proc, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0]


def is_running(pid: int) -> bool:
    return process_state(pid) not in (None, "Z", "X")


def children_of(pid: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                children.add(int(entry.name))
    return children


def fetch_starting_with(port: int, prefix: str) -> str | None:
    body = fetch(port)
    return body if body and body.startswith(prefix) else None


def fetch(port: int) -> str | None:
    """GET / on a fresh connection: the body, or None if nothing answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().read().decode()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class CLIProcess:
    """`python -m FasterAPI ...` (or `python <argv>` when `module` is None) running in `cwd`,
    its stderr in a log file."""

    def __init__(self, argv, cwd: Path, log: Path, env=None, module: str | None = "FasterAPI"):
        self.log = log
        self.stderr = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, *(["-m", module] if module else []), *argv],
            cwd=cwd,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    def wait_for(self, condition, what: str, timeout: float = 10.0):
        """Poll `condition` until it returns something truthy; fail with the log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            if self.proc.poll() is not None:
                pytest.fail(f"exited with {self.proc.returncode} before {what}:\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, timeout: float = 10.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self):
        """Kill what is still running, workers included (a failed test may leave them)."""
        if self.proc.poll() is None:
            leftovers = children_of(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.stderr.close()


@pytest.fixture
def cli_process(tmp_path):
    started = []

    def start(argv, cwd=tmp_path, env=None, module="FasterAPI"):
        process = CLIProcess(argv, cwd, tmp_path / f"cli-{len(started)}.log", env, module)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


def wait_until_gone(pids, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while any(is_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if is_running(pid)]


def wait_for_two_workers(runner: CLIProcess, port: int) -> set[int]:
    """The PIDs of two workers that answered, from fresh connections until two differ."""
    seen: set[int] = set()

    def two_answered():
        body = fetch(port)
        if body:
            seen.add(int(body.split()[-1]))
        return len(seen) == 2

    runner.wait_for(two_answered, "answers from two worker processes")
    return seen


@linux_only
def test_workers_share_the_port_are_restarted_and_stop(tmp_path, cli_process):
    write(tmp_path / "pidapp.py", PID_APP.format(version="one"))
    port = free_port()
    argv = ["run", "pidapp:app", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    runner = cli_process(argv)
    seen = wait_for_two_workers(runner, port)
    assert seen <= children_of(runner.proc.pid)

    victim = min(seen)
    os.kill(victim, signal.SIGKILL)

    def new_worker_pid():
        body = fetch(port)
        pid = int(body.split()[-1]) if body else None
        return pid if pid not in seen else None

    replacement = runner.wait_for(new_worker_pid, "an answer from a restarted worker")
    assert not is_running(victim)
    assert f"Worker (pid {victim}) died unexpectedly with exit code -9 (SIGKILL)" in (
        runner.output()
    )

    children = children_of(runner.proc.pid)
    assert {replacement, max(seen)} <= children
    assert runner.stop() == 0
    wait_until_gone(children | seen | {replacement})


@linux_only
def test_workers_that_ignore_sigterm_are_killed_after_the_graceful_timeout(tmp_path, cli_process):
    write(tmp_path / "pidapp.py", PID_APP.format(version="one"))
    port = free_port()
    argv = ["run", "pidapp:app", "--host=127.0.0.1", f"--port={port}", "--workers=2"]
    argv.append("--timeout-graceful-shutdown=0.5")
    runner = cli_process(argv, env={"PIDAPP_IGNORE_SIGTERM": "1"})
    wait_for_two_workers(runner, port)  # both serving, so both ignore SIGTERM by now
    children = children_of(runner.proc.pid)
    started = time.monotonic()
    assert runner.stop() == 0
    assert time.monotonic() - started < 5
    assert runner.output().count("did not stop in time; killing it") == 2
    wait_until_gone(children)


@linux_only
@pytest.mark.parametrize("watcher", ["WatchfilesWatcher", "PollingWatcher"])
def test_dev_serves_the_new_code_after_a_change(tmp_path, cli_process, watcher):
    env = {}
    if watcher == "WatchfilesWatcher":
        pytest.importorskip("watchfiles")
    else:  # hide watchfiles from the CLI process
        write(tmp_path / "hide" / "watchfiles.py", "raise ImportError('hidden by the test')\n")
        env["PYTHONPATH"] = str(tmp_path / "hide")
    project = tmp_path / "project"
    app_file = write(project / "pidapp.py", PID_APP.format(version="one"))
    port = free_port()
    runner = cli_process(["dev", "pidapp.py", "--port", str(port)], cwd=project, env=env)

    body = runner.wait_for(lambda: fetch_starting_with(port, "one "), "the first server")
    assert watcher in runner.output()
    first_pid = int(body.split()[-1])

    app_file.write_text(PID_APP.format(version="second version"))
    body = runner.wait_for(lambda: fetch_starting_with(port, "second version "), "the new code")
    assert "Reloading: pidapp.py" in runner.output()
    wait_until_gone([first_pid])
    children = children_of(runner.proc.pid)
    assert int(body.split()[-1]) in children

    assert runner.stop() == 0
    wait_until_gone(children)


@linux_only
def test_app_run_with_workers_from_a_script(tmp_path, cli_process):
    port = free_port()
    script = PID_APP.format(version="script") + (
        '\n\nif __name__ == "__main__":\n'
        "    from FasterAPI.server.cli import run_app\n\n"
        f"    raise SystemExit(run_app(app, port={port}, workers=2))\n"
    )
    write(tmp_path / "script.py", script)
    runner = cli_process(["script.py"], module=None)
    assert wait_for_two_workers(runner, port) <= children_of(runner.proc.pid)
    assert "FasterAPI serving __main__:app" in runner.output()
    children = children_of(runner.proc.pid)
    assert runner.stop() == 0
    wait_until_gone(children)


PATHS_APP = """
from FasterAPI import BackgroundTasks, Depends, FastAPI, Form, Request

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

async def user():
    return "me"

@app.get("/")
async def root():
    return "plain"

@app.get("/me")
async def me(name: str = Depends(user)):
    return name

@app.post("/form")
async def form(a: str = Form()):
    return a

@app.get("/later")
async def later(tasks: BackgroundTasks):
    return "later"

@app.get("/request")
async def raw(request: Request):
    return request.url.path
"""


def test_debug_log_says_which_path_each_route_takes(tmp_path, cli_process):
    write(tmp_path / "pathsapp.py", PATHS_APP)
    port = free_port()
    argv = ["run", "pathsapp:app", "--host=127.0.0.1", f"--port={port}", "--log-level=debug"]
    runner = cli_process(argv)
    runner.wait_for(lambda: fetch(port), "the app to answer")
    output = runner.output()
    assert "GET /: native path" in output
    assert "GET /me: native path" in output  # dependencies run on the native path too
    assert "GET /later: native path" in output
    assert "POST /form: native path\n" in output  # (a large form streamed to it natively)
    assert "GET /request: native path\n" in output
    assert runner.stop() == 0


def test_with_middleware_every_route_takes_the_asgi_path_and_says_why():
    from FasterAPI import FastAPI
    from FasterAPI.middleware.cors import CORSMiddleware
    from FasterAPI.middleware.trustedhost import TrustedHostMiddleware
    from FasterAPI.server.native import route_paths

    class Passing:  # pure ASGI: the server cannot run it itself
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            await self.app(scope, receive, send)

    app = FastAPI(openapi_url=None)
    app.add_middleware(Passing)
    app.add_middleware(CORSMiddleware, allow_origins=["*"])

    @app.get("/")
    async def root():
        return "plain"

    [path] = route_paths(app)
    assert not path.native
    assert path.reasons == (
        "the app has middleware (CORSMiddleware, Passing), which every request goes through",
    )
    assert route_paths(object()) == []  # another ASGI app: no routes of ours

    # TrustedHostMiddleware inside an http middleware would answer before its dispatch
    app = FastAPI(openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com"])

    @app.middleware("http")
    async def stamp(request, call_next):
        return await call_next(request)

    app.get("/")(root)
    [path] = route_paths(app)
    assert not path.native
    assert path.reasons == (
        "the app has middleware (BaseHTTPMiddleware(stamp), TrustedHostMiddleware), which "
        "every request goes through",
    )


def test_http_middleware_keeps_the_native_path_and_says_so():
    from FasterAPI import FastAPI
    from FasterAPI.middleware.cors import CORSMiddleware
    from FasterAPI.server.native import route_paths

    app = FastAPI(openapi_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=["*"])

    @app.middleware("http")
    async def stamp(request, call_next):
        return await call_next(request)

    @app.middleware("http")
    async def timing(request, call_next):
        return await call_next(request)

    @app.get("/")
    async def root():
        return "plain"

    [path] = route_paths(app)
    assert path.native and path.http_middleware == ("timing", "stamp")
    assert str(path) == "GET /: native path, through http middleware timing, stamp"
