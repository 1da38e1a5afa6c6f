#!/usr/bin/env bash
# Rebuilds data/common-passwords.txt (kept in the repository) from Debian packages:
#   python3-django: django/contrib/auth/common-passwords.txt.gz, Django 3.2's list
#     (Royce Williams' 2017 compilation, shipped under Django's BSD-3 licence);
#   john-data: /usr/share/john/password.lst, John the Ripper's list, which says
#     of itself "It is assumed to be in the public domain".
# Entries are lower-cased (validators compare lower-cased passwords, as Django),
# de-duplicated, and kept in order: Django's first, then John's additions.
set -euo pipefail
cd "$(dirname "$0")/.."
apt-get install -y -qq python3-django john-data >/dev/null
{
  zcat /usr/lib/python3/dist-packages/django/contrib/auth/common-passwords.txt.gz
  grep -v '^#!comment' /usr/share/john/password.lst
} | tr -d '\r' | tr 'A-Z' 'a-z' | awk 'length($0) > 0 && !seen[$0]++' > data/common-passwords.txt
wc -l data/common-passwords.txt
