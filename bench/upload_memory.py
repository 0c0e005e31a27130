"""Benchmark: the memory of the workers while anonymous reports with large photos arrive at once.

    .venv/bin/python bench/upload_memory.py                  # 8 reports × 3 PNG 7000×7000, gunicorn -w 2 --threads 4
    .venv/bin/python bench/upload_memory.py --format jpeg --side 6000
    .venv/bin/python bench/upload_memory.py --app-dir /tmp/old-checkout   # the same against another checkout

Starts gunicorn as `make run` does (2 workers × 4 threads) on a throwaway SQLite file, sends the reports from
as many threads at once (each: GET /r for the CSRF token, then the multipart POST), and samples the resident
memory (VmRSS) of the worker processes every 20 ms. Prints the workers' total before, at the peak, and 3 s after
the last answer, the time taken and the answers' status codes. It prints figures and asserts nothing.
"""
import argparse
import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

from PIL import Image

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def photo(side, fmt):
    """A large image that compresses to little (as a bomb-like upload would): a smooth gradient."""
    row = Image.linear_gradient("L").resize((side, 1))
    layer = row.resize((side, side))
    image = Image.merge("RGB", [layer, layer.transpose(Image.Transpose.ROTATE_90), Image.new("L", (side, side), 90)])
    out = io.BytesIO()
    image.save(out, "PNG" if fmt == "png" else "JPEG", **({"optimize": True} if fmt == "png" else {"quality": 60}))
    return out.getvalue()


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, mimetype in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: {mimetype}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workers_of(master):
    children = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                        children.append(int(pid))
            except (OSError, IndexError, ValueError):
                pass
    return children


def rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += int(re.search(r"VmRSS:\s+(\d+)", fh.read()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


def report(base, photos, mimetype, results):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/r").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body, content_type = multipart({"csrf_token": token, "description": "上门推销灭火器，附照片"},
                                   [("photos", f"p{i}", data, mimetype) for i, data in enumerate(photos)])
    request = urllib.request.Request(base + "/r", data=body, headers={"Content-Type": content_type,
                                                                      "Referer": base + "/r"})
    try:
        results.append(opener.open(request, timeout=300).status)
    except urllib.error.HTTPError as exc:
        results.append(exc.code)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", default=HERE, help="the checkout to serve (default: this one)")
    parser.add_argument("--reports", type=int, default=8)
    parser.add_argument("--photos", type=int, default=3)
    parser.add_argument("--side", type=int, default=7000)
    parser.add_argument("--format", choices=("png", "jpeg"), default="png")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    data = photo(args.side, args.format)
    mimetype = "image/png" if args.format == "png" else "image/jpeg"
    print(f"{args.reports} reports at once, each {args.photos} × {args.format.upper()} {args.side}×{args.side} "
          f"({len(data) * args.photos / 1e6:.2f} MB per request); "
          f"gunicorn -w {args.workers} --threads {args.threads}; app: {args.app_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/paimo.db", "SECRET_KEY": "bench",
               "UPLOAD_DIR": f"{tmp}/up", "RATELIMIT_PUBLIC": "10000 per minute", "RATELIMIT_POSTER": "10000 per hour"}
        flask = [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "app"]
        subprocess.run(flask + ["init-db"], cwd=args.app_dir, env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "300", "app:create_app()"],
            cwd=args.app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/r").read()
                    break
                except OSError:
                    time.sleep(0.1)
            for _ in range(args.workers * 4):  # warm every worker up
                urllib.request.urlopen(base + "/r").read()
            time.sleep(0.5)
            pids = workers_of(server.pid)
            before = rss_mb(pids)
            peak, running = [before], [True]

            def sample():
                while running[0]:
                    peak[0] = max(peak[0], rss_mb(pids))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            results, start = [], time.perf_counter()
            senders = [threading.Thread(target=report, args=(base, [data] * args.photos, mimetype, results))
                       for _ in range(args.reports)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
            elapsed = time.perf_counter() - start
            time.sleep(3)
            running[0] = False
            sampler.join()
            after = rss_mb(pids)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    codes = {code: results.count(code) for code in sorted(set(results))}
    print(f"  workers' RSS: {before:,.0f} MB before, {peak[0]:,.0f} MB at the peak, {after:,.0f} MB 3 s after")
    print(f"  {elapsed:.1f} s for all reports; answers {codes}")


if __name__ == "__main__":
    main()
