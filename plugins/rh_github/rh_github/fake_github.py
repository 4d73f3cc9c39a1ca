"""Minimal fake of the GitHub REST API, enough for fsspec's GithubFileSystem.

Serves a fixture directory laid out as ``ROOT/<org>/<repo>/<ref>/<files...>``:
each subdirectory of a repo directory is one ref (reported as a branch), and
its contents are the repository tree at that ref.  Read-only, stdlib only.

    python fake_github.py --port 0 --root DIR    # prints "listening on http://127.0.0.1:PORT"

Endpoints (GET; HEAD too for /raw):
  /repos/{org}/{repo}                        metadata, "default_branch" ("main" if present)
  /repos/{org}/{repo}/branches               [{"name", "commit": {"sha"}}] for every ref dir
  /repos/{org}/{repo}/tags                   [] (no tags)
  /repos/{org}/{repo}/git/trees/{sha}        sha = a ref name, or a tree sha from a listing
  /repos/{org}/{repo}/contents/{path}?ref=R  base64 "content" for files <= 1 MiB, else
                                             empty content + "download_url" (as GitHub does)
  /raw/{org}/{repo}/{ref}/{path}             raw bytes with Range support (download_url)

GithubFileSystem itself only calls git/trees, contents and (files > 1 MiB) raw.
rh_github's tests start it through :class:`rh_github.testing.FakeGitHub`.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

INLINE_LIMIT = 1024 * 1024  # GitHub inlines file content up to 1 MB


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def blob_sha(data):  # the real git blob id
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def tree_sha(ref, rel):  # stable, opaque id for the directory <ref>/<rel>
    return hashlib.sha1(f"tree\0{ref}/{rel}".encode()).hexdigest()


class Handler(BaseHTTPRequestHandler):
    root = "."

    def send(self, code, body=b"", ctype="application/json", headers=()):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def not_found(self):
        self.send(404, {"message": "Not Found"})

    def repo_dir(self, org, repo):
        d = os.path.join(self.root, org, repo)
        return d if os.path.isdir(d) else None

    def find_tree(self, rdir, sha):
        """Map a ref name or tree sha to (ref, relative dir)."""
        if os.path.isdir(os.path.join(rdir, sha)):
            return sha, ""
        for ref in os.listdir(rdir):
            for dirpath, _, _ in os.walk(os.path.join(rdir, ref)):
                rel = os.path.relpath(dirpath, os.path.join(rdir, ref)).replace(os.sep, "/")
                if rel != "." and tree_sha(ref, rel) == sha:
                    return ref, rel
        return None, None

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = unquote(url.path)
        m = re.fullmatch(r"/(repos|raw)/([^/]+)/([^/]+)(?:/(.*))?", path)
        rdir = m and ".." not in path.split("/") and self.repo_dir(m[2], m[3])
        if not rdir:
            return self.not_found()
        kind, org, repo, rest = m[1], m[2], m[3], m[4] or ""
        refs = sorted(r for r in os.listdir(rdir) if os.path.isdir(os.path.join(rdir, r)))
        if kind == "raw":  # /raw/{org}/{repo}/{ref}/{path}
            return self.raw(os.path.join(rdir, *rest.split("/")))
        if rest == "":
            default = "main" if "main" in refs else (refs[0] if refs else "main")
            return self.send(200, {"name": repo, "full_name": f"{org}/{repo}",
                                   "default_branch": default})
        if rest == "branches":
            return self.send(200, [{"name": r, "commit": {"sha": tree_sha(r, "")}} for r in refs])
        if rest == "tags":
            return self.send(200, [])
        if rest.startswith("git/trees/"):
            ref, rel = self.find_tree(rdir, rest[len("git/trees/"):])
            if ref is None:
                return self.not_found()
            base = os.path.join(rdir, ref, *([rel] if rel else []))
            tree = []
            for name in sorted(os.listdir(base)):
                p, sub = os.path.join(base, name), f"{rel}/{name}" if rel else name
                if os.path.isdir(p):
                    tree.append({"path": name, "mode": "040000", "type": "tree",
                                 "sha": tree_sha(ref, sub)})
                else:
                    data = _read(p)
                    mode = "100755" if os.access(p, os.X_OK) else "100644"
                    tree.append({"path": name, "mode": mode, "type": "blob",
                                 "size": len(data), "sha": blob_sha(data)})
            return self.send(200, {"sha": tree_sha(ref, rel), "tree": tree, "truncated": False})
        if rest.startswith("contents/"):
            ref, path = q.get("ref", "main"), rest[len("contents/"):].strip("/")
            p = os.path.join(rdir, ref, *path.split("/"))
            if not os.path.isfile(p):
                return self.not_found()
            data = _read(p)
            host = f"http://{self.headers.get('Host')}"
            inline = len(data) <= INLINE_LIMIT
            return self.send(200, {
                "type": "file", "name": os.path.basename(p), "path": path,
                "size": len(data), "sha": blob_sha(data),
                "encoding": "base64" if inline else "none",
                "content": base64.b64encode(data).decode() if inline else "",
                "download_url": f"{host}/raw/{org}/{repo}/{ref}/{path}"})
        return self.not_found()

    def raw(self, p):
        if not os.path.isfile(p):
            return self.not_found()
        data = _read(p)
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if m and (m[1] or m[2]):  # one range only, which is all fsspec's HTTPFile sends
            start = int(m[1]) if m[1] else max(0, len(data) - int(m[2]))
            end = min(int(m[2]), len(data) - 1) if m[1] and m[2] else len(data) - 1
            if start >= len(data) or start > end:
                return self.send(416, b"", "application/octet-stream",
                                 [("Content-Range", f"bytes */{len(data)}")])
            return self.send(206, data[start:end + 1], "application/octet-stream",
                             [("Content-Range", f"bytes {start}-{end}/{len(data)}"),
                              ("Accept-Ranges", "bytes")])
        self.send(200, data, "application/octet-stream", [("Accept-Ranges", "bytes")])

    def log_message(self, fmt, *args):  # quiet unless --verbose
        if self.server.verbose:
            super().log_message(fmt, *args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--root", required=True, help="fixture dir: ROOT/<org>/<repo>/<ref>/...")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    Handler.root = os.path.abspath(a.root)
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.verbose = a.verbose
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # clean exit on kill PID
    print(f"listening on http://{a.host}:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
