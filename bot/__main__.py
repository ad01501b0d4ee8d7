"""`python -m bot`: run the Discord bot with the settings from the environment and `.env`."""

from summarizer.config import load_settings
from summarizer.errors import SettingsError

from .app import run

if __name__ == "__main__":
    try:
        settings = load_settings()
    except SettingsError as error:  # one line naming the setting, not a traceback
        raise SystemExit(f"error: {error}") from None
    run(settings)
