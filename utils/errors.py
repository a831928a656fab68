"""The one exception type for problems a user can fix (bad config, missing files, ...)."""


class UserError(Exception):
    """A problem in the user's input. `main.py` prints it as one message and exits with code 2.

    The message names what is wrong (key, file or value) and says how to fix it.
    """
