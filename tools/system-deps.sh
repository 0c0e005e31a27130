#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those missing: Chromium for the browser tests,
# CJK fonts (posters and screenshots show Chinese), zbar for decoding QR codes, PostgreSQL 15 for the second run,
# LibreOffice Calc to prove the workbooks open in an office suite, Redis for the tests of counters shared by
# several workers and servers (the tests start their own throwaway redis-server; no service is needed), wrk for the
# load bench (bench/load.py, which a test runs for a second).
set -euo pipefail
need=()
for pkg in chromium fonts-noto-cjk libzbar0 postgresql-15 postgresql-common fontconfig libreoffice-calc-nogui redis-server wrk; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages to install: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root, or install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
