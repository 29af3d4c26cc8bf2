"""Encrypted backups of the whole database (`emotipal backup`) and their checked restore (`emotipal restore`).

file.py is the file format (a plain header, then AES-256-GCM chunks), manifest.py what a backup records about
itself (row counts, checks of sampled encrypted fields), postgres.py and sqlite.py how each database is dumped
and loaded, make.py and restore.py the two commands' steps.

Its messages are for the operator at a terminal and stay in English, as the other commands' do.
"""
