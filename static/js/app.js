// 排摸通: small progressive enhancements. Pages work without this file.
