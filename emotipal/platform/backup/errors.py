class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do. Nothing was changed."""


class RestoreMismatch(BackupError):
    """The database was loaded but does not match what the backup recorded (the message lists each)."""
