#!/usr/bin/env python3
"""Helpers for bench/api-load.sh: an RS256 key and JWKS, Cognito-shaped tokens
(the same shape as bench/reference/node-stack/ uses), and image rows seeded straight into
the service's SQLite database.

  tools.py keys DIR                          DIR/private.pem, DIR/jwks.json
  tools.py seed DB KEYDIR USERS PER_USER OUT rows for USERS users; OUT gets
                                             one "token<TAB>imageId" line per user
  tools.py seed-one DB KEYDIR SUB N OUT      N rows for one user; OUT as above

Needs `cryptography` (pip install cryptography).
"""

import base64
import json
import os
import random
import sqlite3
import sys
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = os.environ.get(
    "IMAGE_SERVICE_AUTH_ISSUER",
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_REFBENCH",
)
AUDIENCE = os.environ.get("IMAGE_SERVICE_AUTH_AUDIENCE", "ref-client-id").split(",")[0]
KID = "bench-rs256"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint_b64(n: int) -> str:
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def keys(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = os.path.join(directory, "private.pem")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(pem)
    public = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": KID, "alg": "RS256", "use": "sig",
           "n": uint_b64(public.n), "e": uint_b64(public.e)}
    with open(os.path.join(directory, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk]}, f)


def load_key(directory: str):
    with open(os.path.join(directory, "private.pem"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def token(key, sub: str, ttl: int = 4 * 3600) -> str:
    """An RS256 access token shaped like Cognito's (~850 bytes): the client in
    `client_id`, no `aud`. (ID tokens are refused by the service.)"""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": KID}
    claims = {
        "sub": sub, "iss": ISSUER, "version": 2, "client_id": AUDIENCE,
        "origin_jti": str(uuid.uuid4()), "event_id": str(uuid.uuid4()), "token_use": "access",
        "scope": "aws.cognito.signin.user.admin openid profile email", "auth_time": now,
        "iat": now, "exp": now + ttl, "jti": str(uuid.uuid4()), "username": sub,
    }
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def ulid(ms: int, rng: random.Random) -> str:
    value = (ms << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def rows(sub: str, n: int, rng: random.Random, start_ms: int):
    """N image rows for `sub`, one millisecond apart, shaped like the Node stack's
    (bench/reference/node-stack/)."""
    for i in range(n):
        ms = start_ms + i
        micros = ms * 1000
        yield (
            ulid(ms, rng), sub, None, f"Castle {i}",
            f"A LEGO build, photo {i}, seeded for the load test.",
            "A grey castle with red banners", json.dumps(["castle", "moc", f"set{i % 7}"]),
            640, 480, 31_000 + i % 5000, 400, 300, 9_000 + i % 900,
            "image/jpeg", 640, 480, 38_000 + i % 7000, f"photo-{i}.jpg", 1, micros, micros,
        )


INSERT = (
    "INSERT INTO images (id, user_id, album_id, title, description, alt_text, tags, width, "
    "height, size, thumb_width, thumb_height, thumb_size, original_content_type, "
    "original_width, original_height, original_size, original_filename, version, "
    "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def insert(db: str, batches) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        for batch in batches:
            conn.executemany(INSERT, batch)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()


def seed(db, keydir, users, per_user, out) -> None:
    key = load_key(keydir)
    rng = random.Random(7)
    start = int(time.time() * 1000) - 10_000_000
    subs = [f"bench-user-{u:02d}" for u in range(int(users))]
    batches = [list(rows(sub, int(per_user), rng, start + u * 100_000)) for u, sub in enumerate(subs)]
    insert(db, batches)
    with open(out, "w") as f:
        for sub, batch in zip(subs, batches):
            f.write(f"{token(key, sub)}\t{batch[-1][0]}\n")


def seed_one(db, keydir, sub, n, out) -> None:
    key = load_key(keydir)
    rng = random.Random(11)
    n = int(n)
    start = int(time.time() * 1000) - n - 1000

    def chunks():
        batch = []
        for row in rows(sub, n, rng, start):
            batch.append(row)
            if len(batch) == 50_000:
                yield batch
                batch = []
        if batch:
            yield batch

    insert(db, chunks())
    with open(out, "w") as f:
        f.write(f"{token(key, sub)}\t-\n")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"keys": keys, "seed": seed, "seed-one": seed_one}[command](*args)
