"""Settings for the test suite: the project's settings with a fast password hasher.

Argon2 is deliberately slow; hashing dozens of fixture passwords with it would dominate the suite.
tests/accounts/test_security_settings.py checks that the real settings use Argon2.
"""

import os
import tempfile

os.environ.setdefault("EMOTIPAL_ENV", "test")
# The suite and the API fuzzer make hundreds of API requests a minute with one token or session: they are not
# the callers the rates are for. The throttling tests set their own rates (tests/accounts/test_api_throttle.py);
# a server process started by a test gets the rates that test passes in its environment.
for scope in ("TOKEN", "SESSION", "ANON"):
    os.environ.setdefault(f"EMOTIPAL_API_RATE_{scope}", "100000/m")

from emotipal.platform.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMOTIPAL_VALIDATE_CHARTS = True  # every chart a test builds or a page renders is checked against Vega-Lite

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's default shared-cache in-memory database: threads in the concurrency tests then
    # lock the way production SQLite does (busy timeout, IMMEDIATE transactions) instead of failing with
    # "database table is locked". One file per test process, so parallel runs do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"emotipal-test-{os.getpid()}.sqlite3")
    }
