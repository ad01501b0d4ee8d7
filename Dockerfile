# briefbot's Discord bot in a container: CPU-only PyTorch, a non-root user, the SQLite store
# (and the bot's heartbeat file) on the /data volume. Settings come from the environment:
#   docker build -t briefbot .
#   docker run -d --name briefbot --env-file .env -v briefbot-data:/data --stop-timeout 30 briefbot
# Other commands run the same way: docker run --rm -v briefbot-data:/data briefbot ingest URL
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# PyTorch's own CPU-only index first: PyPI's torch wheel for Linux pulls several GB of CUDA
# libraries. The version is pyproject.toml's pin; 2.13.0+cpu satisfies it, so the project
# install below keeps it.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md LICENSE constraints.txt ./
COPY summarizer ./summarizer
COPY bot ./bot
RUN pip install -c constraints.txt . && rm -rf /src

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin briefbot \
    && mkdir /data && chown briefbot:briefbot /data
USER briefbot
WORKDIR /data
ENV DATABASE_PATH=/data/briefbot.db \
    HF_HUB_OFFLINE=1
VOLUME ["/data"]

# Healthy while the bot refreshes its heartbeat (HEARTBEAT_INTERVAL, 30 s by default).
HEALTHCHECK --interval=60s --timeout=15s --start-period=120s --retries=2 CMD ["briefbot", "status"]
# The bot answers commands in progress for up to 20 s after SIGTERM: stop with --stop-timeout 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["briefbot"]
CMD ["bot"]
