#!/usr/bin/env python3
"""/healthz while 1,100 idle HTTP/2 (prior-knowledge) connections are held open
against a service limited to 1,024 open files. Usage: bench/idle-h2-flood.py BINARY"""
import socket, time, subprocess, os, sys, urllib.request, tempfile
binary = sys.argv[1]
d = tempfile.mkdtemp()
env = {"PATH": os.environ["PATH"], "IMAGE_SERVICE_DATA_DIR": d, "IMAGE_SERVICE_LISTEN": "127.0.0.1:18089", "IMAGE_SERVICE_ADMIN_LISTEN": "127.0.0.1:19099"}
p = subprocess.Popen(["sh", "-c", 'ulimit -n 1024 && exec "$0"', binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
for line in p.stdout:
    if b'"listening"' in line: break
preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"
socks = []
for i in range(1100):
    s = socket.create_connection(("127.0.0.1", 18089)); s.sendall(preface); socks.append(s)
lat = []
for i in range(50):
    t = time.perf_counter()
    with urllib.request.urlopen("http://127.0.0.1:18089/healthz", timeout=10) as r:
        assert r.status == 200
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print(f"healthz during 1100 idle h2 connections: p50 {lat[25]:.2f} ms, max {lat[-1]:.2f} ms, 50/50 answered")
m = urllib.request.urlopen("http://127.0.0.1:19099/metrics").read().decode()
print([l for l in m.splitlines() if l.startswith("http_connections")])
p.terminate()
