#!/usr/bin/env python3
"""Mixed-traffic soak of the release binary (docs/reliability.md, "Soak").

  python3 bench/soak.py [--seconds 600] [--workers 8] [--bin PATH]

Starts `image-service` on a temporary data dir (embedded store, development
tokens, rate limits off), then WORKERS threads loop over a mix of uploads,
reads, lists, file downloads, PATCHes and deletes for SECONDS. Every 10 s it
samples the server's resident memory (VmRSS). At the end it prints one JSON
line and exits non-zero if any request failed (5xx, a connection error or an
unexpected status) or if resident memory in the last third of the run grew
more than 20 % over its level in the middle third (a leak, not warm-up).
Needs only Python 3 and Pillow (for the test photos).
"""

import argparse
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    w, h = rng.choice([(640, 480), (1600, 1200), (3000, 2000)])
    img = Image.effect_noise((w, h), 40).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def multipart(data: bytes, fields: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: bytes | None = None, ctype: str | None = None):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--workers", type=int, default=8)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--bin", default=os.path.join(target, "release", "image-service"))
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="image-service-soak-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SERVICE_")}
    env.update(IMAGE_SERVICE_DATA_DIR=data, IMAGE_SERVICE_LISTEN=f"127.0.0.1:{port}",
               IMAGE_SERVICE_ADMIN_LISTEN=f"127.0.0.1:{free_port()}")
    for limit in ["UPLOADS_PER_MIN", "READS_PER_SEC", "UPDATES_PER_MIN", "DELETES_PER_MIN",
                  "GLOBAL_PER_SEC", "IP_PER_5MIN"]:
        env[f"IMAGE_SERVICE_LIMIT_{limit}"] = "0"
    log = open(os.path.join(data, "server.log"), "wb")
    server = subprocess.Popen([args.bin], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    photos = [photo(i) for i in range(6)]
    counts, failures, lock = {}, [], threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker(n: int) -> None:
        token = subprocess.check_output([args.bin, "dev-token", "--sub", f"soak-{n}", "--ttl", "1d"],
                                        env=env).decode().strip()
        c, rng, mine = Client(base, token), random.Random(n), []
        while time.monotonic() < deadline:
            op = rng.choices(["upload", "get", "list", "file", "patch", "delete"], [2, 6, 4, 4, 2, 1])[0]
            try:
                if op == "upload" or not mine:
                    op = "upload"
                    body, ctype = multipart(rng.choice(photos), {"title": "soak", "tags": "soak"})
                    status, out = c.call("POST", "/images", body, ctype)
                    ok = status == 201
                    if ok:
                        mine.append(json.loads(out))
                elif op == "get":
                    status, _ = c.call("GET", f"/images/{rng.choice(mine)['id']}")
                    ok = status == 200
                elif op == "list":
                    status, _ = c.call("GET", "/images?limit=20")
                    ok = status == 200
                elif op == "file":
                    variant = rng.choice(["display", "thumbnail"])
                    status, _ = c.call("GET", f"/images/{rng.choice(mine)['id']}/file?variant={variant}")
                    ok = status == 200
                elif op == "patch":
                    image = rng.choice(mine)
                    body = json.dumps({"title": f"t{rng.randrange(1000)}", "version": image["version"]}).encode()
                    status, out = c.call("PATCH", f"/images/{image['id']}", body, "application/json")
                    ok = status == 200
                    if ok:
                        mine[mine.index(image)] = json.loads(out)
                else:
                    image = mine.pop(rng.randrange(len(mine)))
                    status, _ = c.call("DELETE", f"/images/{image['id']}")
                    ok = status == 204
            except OSError as e:
                status, ok = f"error {e}", False
            with lock:
                counts[op] = counts.get(op, 0) + 1
                if not ok:
                    failures.append(f"{op}: {status}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.workers)]
    for t in threads:
        t.start()
    samples = []
    while any(t.is_alive() for t in threads):
        samples.append(rss_kib(server.pid))
        time.sleep(10)
    for t in threads:
        t.join()
    server.terminate()
    server.wait(timeout=60)
    third = max(len(samples) // 3, 1)
    middle = max(samples[third:2 * third] or samples)
    last = max(samples[2 * third:] or samples)
    grew = last > middle * 1.2
    print(json.dumps({"seconds": args.seconds, "requests": counts, "failures": len(failures),
                      "first_failures": failures[:5], "rss_mib": {"middle_max": middle // 1024,
                      "last_max": last // 1024, "peak": max(samples) // 1024}, "leak_suspected": grew}))
    shutil.rmtree(data, ignore_errors=True)
    return 1 if failures or grew else 0


if __name__ == "__main__":
    sys.exit(main())
