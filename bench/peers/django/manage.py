#!/usr/bin/python3
"""The Django peer of bench/http: manage.py for Debian's Django 3.2."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
