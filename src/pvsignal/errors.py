"""Errors raised for user mistakes.

A user's mistake (missing file, unknown drug, malformed rule file) raises a
:class:`PvsignalError` subclass whose message says what was wrong and what to do.
The CLI prints it and exits with status 2, without a traceback. Bugs are not
wrapped: they raise as themselves.
"""


class PvsignalError(Exception):
    """Base class of every error caused by input or configuration."""


class InputFileError(PvsignalError):
    """An input file or folder is missing, unreadable or not in the expected format."""


class LakeError(PvsignalError):
    """The Parquet lake is missing, empty or inconsistent."""


class ConfigError(PvsignalError):
    """A configuration, rule or knowledge file is malformed."""


class UnknownNameError(PvsignalError):
    """A drug, event, arm or rule name is not known; the message lists close matches."""


class AnalysisError(PvsignalError):
    """An analysis cannot be computed on the given data (e.g. an empty population)."""
