#!/usr/bin/env python3
"""Writes the seed corpora of the jwt and multipart fuzz targets into fuzz/corpus/.

Seeds are small, valid-looking inputs the fuzzer mutates from; the layout of
each input is described at the top of its target. Deterministic: rerunning
rewrites the same files.
"""
import base64
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ISSUER = "https://issuer.fuzz.example"
FAR_FUTURE = 4102444800  # 2100-01-01


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict, payload: dict, signature: bytes = b"\x00" * 64) -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)]
    )


def claims(**extra):
    base = {"iss": ISSUER, "sub": "user-1", "aud": "fuzz-client", "exp": FAR_FUTURE}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def jwt_seeds():
    es = {"alg": "ES256", "typ": "JWT", "kid": "fuzz-key"}
    headers = [  # mode 0: Authorization header values
        "Bearer " + compact(es, claims()),
        "bearer " + compact({"alg": "none", "kid": "fuzz-key"}, claims()) + ".",
        "Bearer " + compact({"alg": "HS256", "kid": "fuzz-key"}, claims()),
        "Bearer " + compact({"alg": "RS256", "kid": "fuzz-key"}, claims()),
        "Bearer " + compact({"alg": "ES256", "kid": "x" * 300}, claims()),
        "Bearer " + compact({"alg": "ES256"}, claims()),
        "Bearer a.b.c",
        "Bearer ....",
        "Basic dXNlcjpwYXNz",
        "Bearer  ",
    ]
    payloads = [  # mode 1: payloads we sign
        claims(),
        claims(role="admin"),
        claims(role="moderator", aud=["other", "fuzz-client"]),
        claims(aud=None, client_id="fuzz-client", token_use="access"),
        claims(**{"cognito:groups": ["moderators", "admins"]}),
        claims(token_use="refresh"),
        claims(nbf=FAR_FUTURE),
        claims(exp=1),
        claims(sub=""),
        claims(exp=1e300),
        claims(iss=[ISSUER]),
        claims(aud="someone-else"),
    ]
    jwks = [  # mode 2: JWKS documents
        {"keys": [{"kty": "EC", "crv": "P-256", "kid": "a", "alg": "ES256", "x": b64(b"\x01" * 32), "y": b64(b"\x02" * 32)}]},
        {"keys": [{"kty": "RSA", "kid": "r", "alg": "RS256", "n": b64(b"\xc1" * 256), "e": "AQAB"}]},
        {"keys": [{"kty": "oct", "kid": "h", "k": b64(b"secret")}, {"kty": "EC", "crv": "P-384", "kid": "p"}]},
        {"keys": [{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"}]},
        {"keys": []},
        {"nokeys": 1},
    ]
    seeds = [b"\x00" + h.encode() for h in headers]
    seeds += [b"\x01" + json.dumps(p).encode() for p in payloads]
    seeds += [b"\x01{\"iss\":\"" + ISSUER.encode() + b"\",\"sub\":\"a\",\"exp\":4102444800,\"sub\":\"b\"}"]
    seeds += [b"\x02" + json.dumps(j).encode() for j in jwks]
    return seeds


def form(boundary: str, parts, close=True) -> bytes:
    out = b""
    for headers, body in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        for h in headers:
            out += h.encode() + b"\r\n"
        out += b"\r\n" + body + b"\r\n"
    if close:
        out += b"--" + boundary.encode() + b"--\r\n"
    return out


def field(name: str, value: bytes):
    return ([f'Content-Disposition: form-data; name="{name}"'], value)


def file(data: bytes, content_type="image/jpeg", filename="photo.jpg"):
    return (
        [f'Content-Disposition: form-data; name="file"; filename="{filename}"', f"Content-Type: {content_type}"],
        data,
    )


def multipart_seeds():
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
    bodies = [
        ("XyZ", [file(jpeg)]),
        ("XyZ", [field("title", b"Sunset"), field("tags", b'["a","b"]'), file(jpeg)]),
        ("XyZ", [field("tags", b"one"), field("tags", b"two"), field("altText", "caf\u00e9".encode()), file(jpeg, "IMAGE/PNG", "x.png")]),
        ("XyZ", [field("albumId", b"01HZX"), field("description", b"d" * 300), file(jpeg)]),
        ("XyZ", [field("title", b"a"), field("title", b"b")]),
        ("XyZ", [field("evil", b"1"), file(jpeg)]),
        ("XyZ", [file(jpeg), file(jpeg)]),
        ("XyZ", [field("title", b"\xff\xfe")]),
        ("XyZ", [field("tags", b"[1,2]")]),
        ("XyZ", [file(b"\x00" * 3000)]),
        ("----WebKitFormBoundary7MA4YWxkTrZu0gW", [file(jpeg, "application/octet-stream", "../../etc/passwd")]),
    ]
    seeds = []
    for i, (boundary, parts) in enumerate(bodies):
        content_type = f"multipart/form-data; boundary={boundary}"
        if i == 2:
            content_type = f'Multipart/Form-Data; boundary="{boundary}"; charset=utf-8'
        chunk = [0, 1, 7, 64, 255][i % 5]
        seeds.append(content_type.encode() + b"\n" + bytes([chunk]) + form(boundary, parts))
    # Unterminated, no parts, and a boundary that never appears.
    seeds.append(b"multipart/form-data; boundary=XyZ\n\x10" + form("XyZ", [file(jpeg)], close=False))
    seeds.append(b"multipart/form-data; boundary=XyZ\n\x10--XyZ--\r\n")
    seeds.append(b"multipart/form-data; boundary=XyZ\n\x10" + form("Other", [file(jpeg)]))
    seeds.append(b"multipart/form-data\n\x10" + form("XyZ", [file(jpeg)]))
    seeds.append(b"text/plain\n\x10hello")
    return seeds


def write(target: str, seeds):
    out = HERE / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("seed-*"):
        old.unlink()
    for i, seed in enumerate(seeds):
        (out / f"seed-{i:02}").write_bytes(seed)
    print(f"{target}: {len(seeds)} seeds in {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    write("jwt", jwt_seeds())
    write("multipart", multipart_seeds())
