"""Packaging: the version written once, `fasterapi --version`, and the built wheel and sdist.

The version is the Cargo workspace's (Cargo.toml): maturin reads it for the distribution
(pyproject.toml's `dynamic = ["version"]`) and the extension exports it as `FasterAPI.__version__`.
Those tests are fast and always run.

The release tests check what `make release-check` built: they run when FASTERAPI_DIST names
the directory holding the wheel and the sdist. The wheel's file list and metadata; the wheel
installed into a clean virtualenv with no Rust toolchain on PATH, serving the example app with
`fasterapi run` (a few requests, the Swagger UI's own assets, stopped with SIGTERM). With
FASTERAPI_SDIST_CHECK=1 too, `pip install "<sdist>[all]"` builds it from source (with Rust).
The abi3 wheel (cp311-abi3, `--features abi3`: one wheel for CPython 3.11 and later) is built
into the same directory where it is not there yet, and installed and served the same way on
Python 3.11 and 3.13.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from email.parser import HeaderParser
from pathlib import Path

import FasterAPI
import httpx
import pytest

from tests.support.servers import free_port

pytestmark = pytest.mark.fasterapi_only

ROOT = Path(__file__).resolve().parents[1]
DIST_NAME = "fasterapi-rs"
#: The file name's form of DIST_NAME (PEP 427, PEP 625).
DIST_FILE_NAME = "fasterapi_rs"
STATIC = ROOT / "python" / "FasterAPI" / "openapi" / "static"
#: What the example app needs beside the wheel (msgspec comes with the wheel).
EXAMPLE_REQUIREMENTS = ["sqlalchemy[asyncio]>=2.0", "alembic>=1.13", "aiosqlite>=0.20"]
#: The PATH of the clean environment: the system's, where no Rust toolchain lives.
CLEAN_PATH = "/usr/bin:/bin"
STARTUP_TIMEOUT = 60.0


def cargo_version() -> str:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    return str(cargo["workspace"]["package"]["version"])


def expected_version_line(python: str | None = None) -> str:
    python = python or platform.python_version()
    return f"FasterAPI {cargo_version()} (Python {python}, {platform.system()})"


# -- the version in one place ------------------------------------------------------------------


def test_the_version_is_written_once_in_the_cargo_workspace() -> None:
    binding = tomllib.loads((ROOT / "crates" / "fasterapi-py" / "Cargo.toml").read_text())
    assert binding["package"]["version"] == {"workspace": True}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert project["name"] == DIST_NAME


def test_the_abi3_feature_builds_for_the_oldest_supported_python() -> None:
    """`--features abi3` turns on PyO3's limited API for the Python that requires-python names."""
    binding = tomllib.loads((ROOT / "crates" / "fasterapi-py" / "Cargo.toml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = project["requires-python"].removeprefix(">=").replace(".", "")
    assert binding["features"]["abi3"] == [f"pyo3/abi3-py{floor}"]
    assert "default" not in binding["features"], "the default build is version-specific"


def test_the_package_version_is_the_cargo_version() -> None:
    assert FasterAPI.__version__ == cargo_version()


def test_fasterapi_version_prints_the_version_python_and_platform() -> None:
    command = Path(sys.executable).with_name("fasterapi")
    result = subprocess.run(
        [str(command), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected_version_line() + "\n"


# -- the built wheel and sdist (make release-check) ----------------------------------------------


@pytest.fixture(scope="module")
def dist() -> Path:
    directory = os.environ.get("FASTERAPI_DIST")
    if not directory:
        pytest.skip("FASTERAPI_DIST is not set: `make release-check` builds and checks the wheel")
    return Path(directory)


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(dist.glob(f"{DIST_FILE_NAME}-{cargo_version()}-{tag}-{tag}-*.whl"))
    assert len(found) == 1, f"expected one {tag} wheel in {dist}, found {found}"
    return found[0]


@pytest.fixture(scope="module")
def abi3_wheel(dist: Path) -> Path:
    """The cp311-abi3 wheel in `dist`, built there (`--features abi3`) if it is not yet."""
    pattern = f"{DIST_FILE_NAME}-{cargo_version()}-cp311-abi3-*.whl"
    if not list(dist.glob(pattern)):
        maturin = Path(sys.executable).with_name("maturin")
        command = [str(maturin), "build", "--release", "--features", "abi3", "-i", sys.executable]
        command += ["-o", str(dist)]
        # A target directory of its own, so the version-specific build's stays as it is.
        env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "abi3"))
        run(command, env, timeout=3600, cwd=ROOT)
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, f"expected one abi3 wheel in {dist}, found {found}"
    return found[0]


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    path = dist / f"{DIST_FILE_NAME}-{cargo_version()}.tar.gz"
    assert path.is_file(), f"no sdist {path.name} in {dist}"
    return path


def test_the_wheel_holds_the_package_its_assets_and_types(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = HeaderParser().parsestr(
            archive.read(f"{DIST_FILE_NAME}-{cargo_version()}.dist-info/METADATA").decode()
        )
        entry_points = archive.read(
            f"{DIST_FILE_NAME}-{cargo_version()}.dist-info/entry_points.txt"
        ).decode()
    assert metadata["Name"] == DIST_NAME
    assert metadata["Version"] == cargo_version()
    assert metadata["Requires-Python"] == ">=3.11"
    scripts = configparser.ConfigParser()
    scripts.read_string(entry_points)
    assert dict(scripts["console_scripts"]) == {"fasterapi": "FasterAPI.server.cli:main"}
    assert {"FasterAPI/__init__.py", "FasterAPI/py.typed", "FasterAPI/_core.pyi"} <= names
    assert f"{DIST_FILE_NAME}-{cargo_version()}.dist-info/licenses/LICENSE" in names  # MIT
    assets = {
        path.relative_to(STATIC.parents[2]).as_posix()
        for path in STATIC.rglob("*")
        if path.is_file()
    }
    assert "FasterAPI/openapi/static/swagger-ui-dist/swagger-ui-bundle.js" in assets
    assert assets <= names, f"missing from the wheel: {sorted(assets - names)}"
    cores = [name for name in names if name.startswith("FasterAPI/_core.") and name.endswith(".so")]
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}-"
    assert len(cores) == 1 and tag in cores[0], cores


def test_the_abi3_wheel_holds_one_core_for_every_python_from_311(
    abi3_wheel: Path, wheel: Path
) -> None:
    with zipfile.ZipFile(abi3_wheel) as archive, zipfile.ZipFile(wheel) as specific:
        names = set(archive.namelist())
        info = f"{DIST_FILE_NAME}-{cargo_version()}.dist-info"
        tags = HeaderParser().parsestr(archive.read(f"{info}/WHEEL").decode()).get_all("Tag")
        metadata = archive.read(f"{info}/METADATA")
        assert metadata == specific.read(f"{info}/METADATA")
        others = {name for name in specific.namelist() if not name.startswith(info)}
    cores = [name for name in names if name.startswith("FasterAPI/_core.")]
    assert sorted(cores) == ["FasterAPI/_core.abi3.so", "FasterAPI/_core.pyi"]
    assert tags and all(tag.startswith("cp311-abi3-") for tag in tags), tags
    assert {name for name in others if not name.endswith(".so")} <= names


def test_the_sdist_holds_the_sources_and_no_built_extension(sdist: Path) -> None:
    top = f"{DIST_FILE_NAME}-{cargo_version()}/"
    with tarfile.open(sdist) as archive:
        names = {name.removeprefix(top) for name in archive.getnames()}
    expected = {
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "LICENSE",
        "crates/fasterapi-py/src/lib.rs",
        "crates/fasterapi-core/src/lib.rs",
        "python/FasterAPI/__init__.py",
        "python/FasterAPI/_core.pyi",
        "python/FasterAPI/py.typed",
        "python/FasterAPI/openapi/static/swagger-ui-dist/swagger-ui-bundle.js",
    }
    assert expected <= names, f"missing from the sdist: {sorted(expected - names)}"
    assert not [name for name in names if name.endswith(".so")]


def clean_env(path: str) -> dict[str, str]:
    """An environment with nothing but PATH and HOME (`env -i PATH=...`)."""
    return {"PATH": path, "HOME": os.environ.get("HOME", "/root")}


def interpreter(version: str) -> Path | None:
    """The base interpreter of Python `version` ("3.13"): this test's own, else pyenv's (as
    the Makefile finds Python 3.13), else one on the system's PATH; None where there is none."""
    if version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return Path(sys.base_prefix) / "bin" / f"python{version}"
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted(pyenv.glob(f"versions/{version}.*/bin/python{version}"))
    system = shutil.which(f"python{version}", path=CLEAN_PATH)
    return found[-1] if found else Path(system) if system else None


def make_venv(directory: Path, path: str, base: Path | None = None) -> Path:
    """A new virtualenv of `base`, by default this test's Python version (its base interpreter,
    not this venv)."""
    base = base or interpreter(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert base is not None
    subprocess.run(
        [str(base), "-m", "venv", str(directory)], env=clean_env(path), check=True, timeout=300
    )
    return directory / "bin"


def run(command: list[str], env: dict[str, str], timeout: float, cwd: Path | None = None) -> str:
    result = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example app (items_app.py, its migrations) copied away from the checkout."""
    copy = tmp_path / "example"
    ignore = shutil.ignore_patterns("*.db", "__pycache__")
    shutil.copytree(ROOT / "examples", copy, ignore=ignore)
    return copy


@contextlib.contextmanager
def serve_example(
    wheel: Path, example: Path, venv: Path, base: Path | None = None
) -> Iterator[tuple[str, Path]]:
    """`fasterapi run items_app:app` from `wheel` installed into a clean virtualenv `venv` of
    `base` (by default this test's Python): (base URL, log)."""
    for tool in ("cargo", "rustc", "maturin"):
        assert shutil.which(tool, path=CLEAN_PATH) is None, f"{tool} is on {CLEAN_PATH}"
    bin_dir = make_venv(venv, CLEAN_PATH, base)
    env = clean_env(f"{bin_dir}:{CLEAN_PATH}")
    python = str(bin_dir / "python")
    pip = [python, "-m", "pip", "install", "-q", "--only-binary", ":all:"]
    run([*pip, str(wheel), *EXAMPLE_REQUIREMENTS], env, timeout=600)
    code = "import FasterAPI, platform; print(FasterAPI.__file__, platform.python_version())"
    where, version = run([python, "-c", code], env, timeout=60, cwd=example).split()
    assert Path(where).is_relative_to(venv), where
    assert run([str(bin_dir / "fasterapi"), "--version"], env, timeout=60).strip() == (
        expected_version_line(version)
    )

    port = free_port()
    log = venv.parent / f"{venv.name}-server.log"
    command = [str(bin_dir / "fasterapi"), "run", "items_app:app", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], cwd=example, env=env, stdout=out, stderr=out
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base_url, log)
        yield base_url, log
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def serving(example: Path, tmp_path: Path, wheel: Path) -> Iterator[tuple[str, Path]]:
    """`fasterapi run items_app:app` from the wheel in a clean virtualenv: (base URL, log)."""
    with serve_example(wheel, example, tmp_path / "venv") as served:
        yield served


def wait_until_up(proc: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def test_the_wheel_serves_the_example_app_without_rust(serving: tuple[str, Path]) -> None:
    check_example_app(serving[0])


@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_the_abi3_wheel_serves_the_example_app(
    version: str, abi3_wheel: Path, example: Path, tmp_path: Path
) -> None:
    base = interpreter(version)
    if base is None:
        pytest.skip(f"Python {version} is not installed")
    with serve_example(abi3_wheel, example, tmp_path / "venv", base) as (base_url, _log):
        check_example_app(base_url)


def check_example_app(base_url: str) -> None:
    """The example app's items (GET, POST, a 422) and its offline /docs, over HTTP."""
    with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
        assert client.get("/items").json() == []
        created = client.post("/items", json={"name": "hammer", "price": 9.5, "tags": ["tools"]})
        assert created.status_code == 201, created.text
        item = created.json()
        assert item == {"id": item["id"], "name": "hammer", "price": 9.5, "tags": ["tools"]}
        assert client.get(f"/items/{item['id']}").json() == item
        listed = client.get("/items")
        assert listed.status_code == 200
        assert listed.json() == [item]
        assert client.post("/items", json={"name": "saw"}).status_code == 422

        docs = client.get("/docs")
        assert docs.status_code == 200
        bundle = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', docs.text)
        assert bundle is not None, docs.text
        assert bundle.group(1).startswith("/docs/static/"), "the docs page uses a CDN"
        asset = client.get(bundle.group(1))
        assert asset.status_code == 200
        assert "javascript" in asset.headers["content-type"]
        assert asset.content == (STATIC / "swagger-ui-dist" / "swagger-ui-bundle.js").read_bytes()
        assert client.get("/openapi.json").json()["paths"]["/items"]


@pytest.fixture
def sdist_check(dist: Path) -> None:
    if os.environ.get("FASTERAPI_SDIST_CHECK") != "1":
        pytest.skip("FASTERAPI_SDIST_CHECK is not 1: `make release-check` builds from the sdist")


@pytest.mark.usefixtures("sdist_check")
def test_the_sdist_installs_with_every_extra(sdist: Path, tmp_path: Path) -> None:
    cargo = shutil.which("cargo")
    assert cargo is not None, "building from the sdist needs a Rust toolchain"
    path = f"{Path(cargo).parent}:{CLEAN_PATH}"
    bin_dir = make_venv(tmp_path / "venv", path)
    env = clean_env(f"{bin_dir}:{path}")
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"{sdist}[all]"], env, 1800)
    extras = "pydantic, uvloop, httpx, jinja2, jwt, redis, itsdangerous, sqlalchemy, alembic"
    code = f"import FasterAPI, {extras}, prometheus_client, arq; print(FasterAPI.__version__)"
    version = run([str(bin_dir / "python"), "-c", code], env, timeout=60, cwd=tmp_path)
    assert version.strip() == cargo_version()
    assert run([str(bin_dir / "fasterapi"), "--version"], env, 60).strip() == (
        expected_version_line()
    )
