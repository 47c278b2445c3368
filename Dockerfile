# Rollekort service image: one process (`rollekort serve`) after the database migrations.
# Build:  docker build -t rollekort .
# Run:    docker run -p 8000:8000 -e ROLLEKORT_BROKER=mqtt://mosquitto:1883 \
#           -e ROLLEKORT_DB=postgresql+asyncpg://... -e ROLLEKORT_CONFIG=/config/office.yaml \
#           -v ./office.yaml:/config/office.yaml:ro rollekort
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Defaults for a lone container; compose/Kubernetes override them with ROLLEKORT_* values.
ENV ROLLEKORT_HOST=0.0.0.0 \
    ROLLEKORT_PORT=8000 \
    ROLLEKORT_DB=sqlite+aiosqlite:////data/rollekort.db

WORKDIR /app

# An unprivileged user with a fixed uid (runAsNonRoot in Kubernetes needs a numeric USER).
RUN groupadd --system --gid 10001 rollekort \
    && useradd --system --uid 10001 --gid rollekort --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin rollekort \
    && mkdir -p /data \
    && chown rollekort:rollekort /data

# Dependencies first, exactly as locked (versions and file hashes, see the README), so a source
# change does not reinstall them and two builds a month apart install the same packages.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# (README.md* is optional: pyproject names it as the readme; the glob may match nothing.)
COPY pyproject.toml README.md* ./

# Then the source, and the package itself without touching the dependencies.
COPY app/ ./app/
COPY devices/ ./devices/
COPY simulator/ ./simulator/
COPY bench/ ./bench/
COPY migrations/ ./migrations/
COPY examples/ ./examples/
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

USER 10001:10001

EXPOSE 8000

# python, not curl: the slim image has no curl. /healthz says the process is alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# Migrate, then replace the shell with the server so it is PID 1 and receives SIGTERM.
CMD ["sh", "-c", "rollekort db upgrade && exec rollekort serve --host 0.0.0.0 --port 8000"]
