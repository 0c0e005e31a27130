"""Read by gunicorn from the directory it starts in (`make run`, and `gunicorn 'app:create_app()'` in production).

Only a start-up check: when BASE_URL is set, warn if it disagrees with where the server listens, before any
poster with a wrong QR code is printed (domain/public/public_url.py).
"""


def when_ready(server):
    from config import Config
    from domain.public.public_url import base_url_warning

    warning = base_url_warning(Config.BASE_URL, [str(listener) for listener in server.LISTENERS])
    if warning:
        server.log.warning(warning)
