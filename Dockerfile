# ExitBot's image: slim, runs as a user of its own, answers its health check on /readyz.
# Build: docker build -t exitbot .   (the versions are requirements.lock's, every extra)
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /venv
COPY requirements.lock ./
RUN /venv/bin/pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY core core
COPY adapters adapters
COPY bot bot
COPY migrations migrations
RUN /venv/bin/pip install --no-cache-dir --no-deps . && /venv/bin/exitbot --version

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home exitbot
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    EXITBOT_HOST=0.0.0.0 \
    EXITBOT_PORT=3000 \
    EXITBOT_LOG_FORMAT=json
USER 10001
WORKDIR /tmp
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=2)"]
# The schema is the migrate job's (compose.yaml); run `exitbot serve` alone to migrate here.
CMD ["exitbot", "serve", "--no-migrate"]
