"""`python -m bot`: run the Discord bot with the settings from the environment and `.env`."""

from summarizer.config import load_settings

from .app import run

if __name__ == "__main__":
    run(load_settings())
