"""De-identified exports of one study: tables built once (tables.py), written in every format (formats/)."""
