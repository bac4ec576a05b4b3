"""The async front of `broadsheet serve`: no thread waits on a reader's network.

Under plain WSGI a server hands a thread a request as soon as its headers are in, and the
thread then blocks reading the body: a few clients that announce a body and never send it
hold every thread, and every reader waits, cached pages included. Here granian's RSGI
interface runs this module in an event loop per worker. The loop

- answers the front door's redirects and page-cache hits itself (a stat and a dict lookup:
  cheaper than handing them to a thread);
- reads a request's body in full, within a deadline that grows with its announced length
  (BROADSHEET_SERVE), answering 408 when it is not in by then and 413 when it is too big;
- and only then hands the request, body buffered, to Django (the view beacon, the page
  cache's miss path, Django) on a pool of threads; a response is collected in the thread
  (spooled to disk when large) and sent from the loop, so a reader slow to take its page
  holds no thread either.

Headers that never finish never reach Python: granian closes the connection after
HEADER_SECONDS (it sends no 408 then, as nginx doesn't).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation

log = logging.getLogger("broadsheet.serve")

SPOOL_BYTES = 1 << 20  # bodies and responses past this go to a temporary file
CHUNK = 64 * 1024


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def _environ(scope) -> dict:
    host, _, port = scope.server.rpartition(":")
    client = scope.client.rpartition(":")[0] if ":" in scope.client else scope.client
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # RSGI gives the path percent-decoded as UTF-8; WSGI wants those bytes as Latin-1.
        "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": host.strip("[]"),
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/" + scope.http_version,
        "REMOTE_ADDR": client.strip("[]"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    for name, value in scope.headers.items():
        if "_" in name:
            # X_Forwarded_For would land in the same variable as X-Forwarded-For: drop it,
            # as nginx and gunicorn do, so nobody can pass for a header set by our proxy.
            continue
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
            environ[key] = value
            continue
        key = "HTTP_" + key
        if key in environ:
            environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            environ[key] = value
    return environ


async def _read_body(protocol, environ, limits: dict):
    """The request's body as a file, read within its deadline."""
    raw_length = environ.get("CONTENT_LENGTH")
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if raw_length is None and not chunked:
        return BytesIO()
    length = 0
    if raw_length is not None:
        if not raw_length.isdigit() or len(raw_length) > 15:
            raise _Refused(400, f"Content-Length {raw_length[:20]!r} is not a number.")
        length = int(raw_length)
    if length > limits["max_bytes"]:
        raise _Refused(413, f"The request body ({length} bytes) is larger than this site "
                            f"accepts ({limits['max_bytes']} bytes).")
    allowed = limits["seconds"] + length / limits["rate"]
    # Handed on as wsgi.input and closed by _run once Django is done with it.
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    received = 0
    try:
        async with asyncio.timeout(allowed):
            async for chunk in protocol:
                received += len(chunk)
                if received > limits["max_bytes"]:
                    raise _Refused(413, "The request body is larger than this site accepts "
                                        f"({limits['max_bytes']} bytes).")
                body.write(chunk)
    except TimeoutError:
        body.close()
        raise _Refused(408, f"The request body did not arrive within {allowed:.0f} seconds "
                            f"({received} of {length or 'unknown'} bytes received).") from None
    except _Refused:
        body.close()
        raise
    except Exception:  # the client went away mid-body: nobody is left to answer
        body.close()
        raise _Refused(400, "The request body ended early.") from None
    body.seek(0)
    return body


def _run(app, environ):
    """Call the WSGI application in a pool thread; the response, collected."""
    started: list = []

    def start_response(status, headers, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [int(status[:3]), headers]
        return chunks.append  # the legacy write() callable

    chunks: list[bytes] = []
    result = app(environ, start_response)
    spool = None
    try:
        size = 0
        for chunk in result:
            if not chunk:
                continue
            if spool is None:
                chunks.append(chunk)
                size += len(chunk)
                if size > SPOOL_BYTES:  # a large file or export: keep it off the heap
                    spool = tempfile.TemporaryFile()  # noqa: SIM115 - _send_file closes it
                    spool.writelines(chunks)
                    chunks.clear()
            else:
                spool.write(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()  # Django's request_finished: database connections go back
        environ["wsgi.input"].close()
    if spool is not None:
        spool.seek(0)
        return started[0], started[1], spool
    return started[0], started[1], b"".join(chunks)


class Front:
    """The RSGI application granian runs in each worker of `broadsheet serve`."""

    def __init__(self, threads: int):
        self.threads = threads
        self.pool: ThreadPoolExecutor | None = None

    def __rsgi_init__(self, loop):
        # Deferred to the worker's start: importing broadsheet.wsgi sets Django up (and
        # starts the scheduler), which granian's main process must not do.
        from broadsheet import wsgi
        from broadsheet.pagecache.wsgi import hits
        from broadsheet.proxy import front_door
        from broadsheet.readership.wsgi import answered_here

        self.app = wsgi.after_the_cache
        self.admit = front_door()
        self.hit = hits() or (lambda environ: None)
        serve = settings.BROADSHEET_SERVE
        self.limits = {"seconds": serve["BODY_SECONDS"], "rate": serve["MIN_BODY_RATE"],
                       "max_bytes": serve["MAX_BODY_MB"] * 1024 * 1024}
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="django")
        # With a synced journal a beacon waits for the disk (group commit): a pool thread's
        # job, never the event loop's.
        self.inline_beacons = not settings.BROADSHEET_READERSHIP["JOURNAL_SYNC"]
        self.plain_beacon = answered_here

    def _beacon_on_loop(self, environ):
        """A view beacon answered right here, or None. It costs tens of microseconds (a
        line appended to the journal, no database), and handing it to a pool thread and back
        cost about as much as the work: one server took 8,900-9,400 beacons a second with the
        handoff and 9,900-10,400 without, in one session on 2 cores. What needs the database
        now and then (the list of countable pages, today's salt) refuses to run on the event
        loop before it has done anything, and the beacon then goes to a pool thread like every
        other request."""
        if not (self.inline_beacons and self.plain_beacon(environ)):
            return None
        try:
            return _run(self.app, environ)
        except SynchronousOnlyOperation:
            environ["wsgi.input"].seek(0)
            return None

    def __rsgi_del__(self, loop):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)

    async def __rsgi__(self, scope, protocol):
        if scope.proto != "http":  # websockets: nothing here speaks them
            protocol.close(404)
            return
        environ = _environ(scope)
        ready = self.admit(environ) or self.hit(environ)
        if ready is not None:
            protocol.response_bytes(ready[0], ready[2], ready[3])
            return
        try:
            environ["wsgi.input"] = await _read_body(protocol, environ, self.limits)
        except _Refused as refused:
            protocol.response_str(refused.status, [
                ("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store"),
                ("Connection", "close")], refused.message + "\n")
            return
        loop = asyncio.get_running_loop()
        try:
            answer = self._beacon_on_loop(environ)
            if answer is None:
                answer = await loop.run_in_executor(self.pool, _run, self.app, environ)
            status, headers, body = answer
        except Exception:
            # Django answers its own errors; this is a failure around it (a wrapper).
            log.exception("%s %s failed outside Django", scope.method, scope.path)
            protocol.response_str(500, [("Content-Type", "text/plain; charset=utf-8")],
                                  "Server error.\n")
            return
        if isinstance(body, bytes):
            protocol.response_bytes(status, headers, body)
            return
        await _send_file(protocol, status, headers, body)


async def _send_file(protocol, status, headers, spool) -> None:
    try:
        transport = protocol.response_stream(status, headers)
        while chunk := spool.read(CHUNK):
            await transport.send_bytes(chunk)
    except Exception as exc:  # the reader left mid-download: nothing to answer
        log.debug("download ended early: %s", exc)
    finally:
        spool.close()


# `broadsheet serve` passes its --threads through the environment to every worker.
application = Front(int(os.environ.get("BROADSHEET_SERVE_THREADS") or 4))
