"""User-facing error type: anything a user can fix (bad input, bad config, missing file) is a `UserError`.

The CLI prints its message as one line on stderr and exits with code 2; it never shows a traceback for it.
"""


class UserError(Exception):
    """A problem with what the user asked for. The message is one actionable line."""

    exit_code = 2
