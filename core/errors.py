"""Errors a user can cause. Each carries a sentence meant to be shown as is: st.error in the app,
a message and exit code 2 in the CLI. Anything else that escapes is a bug."""


class HWLabError(Exception):
    """Base of every user-facing error."""


class DatasetMissing(HWLabError):
    """A dataset's files are not where we looked, and could not be downloaded."""


class DownloadError(HWLabError):
    """A download failed or its checksum did not match."""


class BadImage(HWLabError):
    """An uploaded or given picture cannot be read or is not usable."""


class BadModel(HWLabError):
    """A model bundle is missing, broken, or its name is not acceptable."""


class BadSettings(HWLabError):
    """Training settings out of range, checked before any work starts."""


class BadCSV(HWLabError):
    """A Kaggle Digit Recognizer CSV that does not have the expected format."""


class Busy(HWLabError):
    """Another training job is already running on this machine."""


class ExplainError(HWLabError):
    """An explanation that cannot be computed for this model or input (said as a sentence)."""


class ExportError(HWLabError):
    """A model that one export format cannot hold (an operation its converter or runtime lacks)."""

