# The production image: `docker build .` then run it with TREFFPUNKT_SECRET_KEY (32 bytes
# or more) and TREFFPUNKT_DATABASE_URL; compose.yaml shows a whole deployment.

# The pages' stylesheets from npm, as package-lock.json pins them (web/assets.py).
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PICCOLO_CONF=treffpunkt.piccolo_conf \
    TREFFPUNKT_ENVIRONMENT=production \
    TREFFPUNKT_DATA_DIR=/var/lib/treffpunkt
# Posters (WeasyPrint): Pango, and DejaVu Sans, whose glyphs cover Arabic and Farsi.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
COPY email_templates ./email_templates
COPY --from=assets /assets/node_modules/@picocss/pico/package.json ./node_modules/@picocss/pico/
COPY --from=assets /assets/node_modules/@picocss/pico/css ./node_modules/@picocss/pico/css
# Editable install keeps migrations/, email_templates/ and node_modules/ beside the
# package, where it finds them. The code stays root's (read-only for the app); only the data dir is the app's.
RUN pip install --no-cache-dir -e . \
    && useradd --system --no-create-home --home-dir /var/lib/treffpunkt treffpunkt \
    && install -d -o treffpunkt -g treffpunkt -m 0750 /var/lib/treffpunkt
USER treffpunkt
VOLUME ["/var/lib/treffpunkt"]
EXPOSE 8000
CMD ["sh", "-c", "treffpunkt migrate && treffpunkt serve --host 0.0.0.0 --port 8000"]
