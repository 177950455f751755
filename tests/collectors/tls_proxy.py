"""An HTTPS-intercepting proxy on 127.0.0.1 for clients with hard-coded https:// hosts.

The client is configured only through the standard ``HTTPS_PROXY`` and
``REQUESTS_CA_BUNDLE`` variables (requests honours both for every Session it creates):
CONNECT is answered, TLS is terminated with a certificate from a throwaway CA made by the
``openssl`` command, and the decrypted requests are served by an :class:`ApiServer`.
"""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.collectors.servers import ApiServer


def make_certificates(folder: Path, hosts: list[str]) -> tuple[Path, Path, Path]:
    """(ca.pem, leaf.pem, leaf.key): a CA and a leaf certificate for ``hosts``."""
    ca_key, ca, key, csr, leaf = (folder / n for n in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem"))
    ext = folder / "leaf.ext"
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts) + "\n"
                   "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n", encoding="ascii")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=Otklik test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={hosts[0]}")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(leaf), "-days", "2", "-extfile", str(ext))
    return ca, leaf, key


@contextmanager
def tls_proxy(api: ApiServer, cert: Path, key: Path) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inner = api.handler_class()

    class Proxy(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_CONNECT(self) -> None:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            try:
                tls = context.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                return
            self.close_connection = True
            try:
                inner(tls, self.client_address, self.server)
            except (TimeoutError, ssl.SSLError, OSError):
                pass
            finally:
                with suppress(OSError):
                    tls.close()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
