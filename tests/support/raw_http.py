"""HTTP/1.1 spoken byte by byte: `request` builds a raw request, `Reader` reads whole
responses (Content-Length, chunked or until close) off a socket, `exchange` does one round trip
with a server from `tests.support.servers`."""

import socket


class Reader:
    """Reads whole HTTP responses (Content-Length, chunked or until close) from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def wait_for(self, marker: bytes) -> None:
        """Reads until `marker` has arrived, leaving it to be read (a response begun)."""
        while marker not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before {marker!r}; got {self.buf!r}")

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before {marker!r}; got {self.buf!r}")
        part, self.buf = self.buf.split(marker, 1)
        return part

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("closed mid-body")
        part, self.buf = self.buf[:n], self.buf[n:]
        return part

    def response(self, head_request: bool = False) -> tuple[int, dict[str, str], bytes]:
        head = self._until(b"\r\n\r\n").decode("latin-1")
        status_line, *lines = head.split("\r\n")
        version, status = status_line.split(" ")[:2]
        assert version == "HTTP/1.1", status_line
        headers: dict[str, str] = {}
        for line in lines:
            name, value = line.split(":", 1)
            assert name.lower() not in headers, f"duplicate header {name}"
            headers[name.lower()] = value.strip()
        code = int(status)
        if head_request or code in (204, 304) or code < 200:
            return code, headers, b""
        if "content-length" in headers:
            return code, headers, self._exactly(int(headers["content-length"]))
        if headers.get("transfer-encoding") == "chunked":
            chunks = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._until(b"\r\n")
                    return code, headers, b"".join(chunks)
                chunks.append(self._exactly(size))
                assert self._exactly(2) == b"\r\n"
        while self._fill():
            pass
        body, self.buf = self.buf, b""
        return code, headers, body

    def closed(self, timeout: float = 5.0) -> bool:
        """True once the server closes the connection (nothing more may arrive)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        assert not data, f"unexpected bytes {data!r}"
        return True


def request(
    method: str, target: str, body: bytes = b"", headers: dict | None = None, version="1.1"
) -> bytes:
    lines = [f"{method} {target} HTTP/{version}", "Host: test"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body and not any(k.lower() == "transfer-encoding" for k in headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchange(server, raw: bytes, head_request: bool = False):
    """Sends `raw` on a new connection to `server` and reads one response."""
    with server.connect() as sock:
        sock.sendall(raw)
        return Reader(sock).response(head_request)
