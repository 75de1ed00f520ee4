# c1-mock: C1's tunnel-credential API and token endpoint, for sandboxes.
#   docker build -t c1-mock .
#   docker run --rm -p 8080:8080 -v c1-mock-data:/data c1-mock
# Data (the SQLite database, the local TLS CA) lives on the /data volume.

FROM python:3.12-slim AS build
WORKDIR /src
RUN python -m venv /opt/c1-mock
COPY pyproject.toml README.md openapi.yaml ./
COPY app ./app
COPY migrations ./migrations
# The wheel installs app/ and migrations/ as the one import package c1_mock (pyproject.toml), with
# openapi.yaml (app/openapi.yaml links to it); the extra postgres for compose's PostgreSQL profile.
RUN /opt/c1-mock/bin/pip install --no-cache-dir '.[postgres]'

FROM python:3.12-slim
ENV PATH="/opt/c1-mock/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    C1MOCK_DATABASE_URL=sqlite:////data/c1-mock.db \
    C1MOCK_TLS_DIR=/data/tls
RUN groupadd --system --gid 10001 c1mock \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /data \
        --shell /usr/sbin/nologin c1mock \
    && mkdir /data \
    && chown c1mock:c1mock /data
COPY --from=build /opt/c1-mock /opt/c1-mock
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# 8080 plain http (the default); 8443 when C1MOCK_PORT=8443 and C1MOCK_TLS=true.
EXPOSE 8080 8443
# The image has no curl: `c1-mock healthcheck` asks /healthz with the server's own C1MOCK_
# settings (port, TLS and its local CA).
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["c1-mock", "healthcheck"]
ENTRYPOINT ["c1-mock"]
CMD ["serve", "--host", "0.0.0.0"]
