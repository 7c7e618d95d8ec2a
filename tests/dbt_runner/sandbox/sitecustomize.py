"""Loaded by every Python started with this folder on PYTHONPATH: semaphores fail as in AWS Lambda.

Lambda has no /dev/shm, so sem_open fails with ENOSYS (errno 38) and every multiprocessing lock
raises OSError(38) when it is created. Replacing `_multiprocessing.SemLock` before anything
imports `multiprocessing.synchronize` reproduces exactly that, and nothing else.
"""

import _multiprocessing
import errno
import os

_Real = _multiprocessing.SemLock


class SemLock:
    SEM_VALUE_MAX = _Real.SEM_VALUE_MAX

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))

    @classmethod
    def _rebuild(cls, *args: object) -> None:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))


_multiprocessing.SemLock = SemLock
