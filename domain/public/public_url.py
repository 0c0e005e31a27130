"""Whether a configured BASE_URL can be where this server is reached (design section 7: poster QR codes).

A printed QR code that points at the wrong port or host is a poster nobody can use, and it hangs for months.
Behind a reverse proxy BASE_URL rightly differs from the address the server listens on, so only a BASE_URL
that names this machine directly (a loopback address, an IP literal, or the very host it listens on) is held
against the listening addresses; a public name is left alone.
"""
import ipaddress
from urllib.parse import urlsplit

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
WILDCARD = {"0.0.0.0", "::"}


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _port(parts):
    return parts.port or (443 if parts.scheme == "https" else 80)


def _same_place(base, listening):
    if _port(base) != _port(listening):
        return False
    host, where = base.hostname, listening.hostname
    return host == where or where in WILDCARD or (host in LOOPBACK and where in LOOPBACK)


def base_url_warning(base_url, listening):
    """A warning in words when `base_url` cannot be how people reach a server listening on `listening`
    (addresses such as "http://127.0.0.1:5077" or "unix:/run/paimo.sock"); None when it may well be."""
    if not base_url:
        return None
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        return f"BASE_URL={base_url} 不是 http:// 或 https:// 开头的完整地址：海报二维码会是坏链接。"
    addresses = [urlsplit(a) for a in listening]
    if not addresses or any(not a.hostname for a in addresses):
        return None  # a Unix socket: a proxy is in front, and BASE_URL is its business
    direct = base.hostname in LOOPBACK or _is_ip(base.hostname) or base.hostname in {a.hostname for a in addresses}
    if not direct or any(_same_place(base, a) for a in addresses):
        return None
    return (f"BASE_URL={base_url} 与本服务监听的地址 {', '.join(listening)} 不一致：海报二维码会指向 "
            f"{base_url}/r/…，扫码打不开。请改正 BASE_URL，或不设它（链接按访问地址生成）。")
