"""Settings for the test suite: the project's settings with a fast password hasher.

Argon2 is deliberately slow; hashing dozens of fixture passwords with it would dominate the suite.
tests/accounts/test_security_settings.py checks that the real settings use Argon2.
"""

import os

os.environ.setdefault("EMOTIPAL_ENV", "test")

from emotipal.platform.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
