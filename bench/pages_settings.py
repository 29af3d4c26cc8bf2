"""Production settings with the benchmark's URLconf (bench/pages_urls.py), for bench/bench_pages.py only."""

from emotipal.platform.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pages_urls"
