FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PICCOLO_CONF=treffpunkt.piccolo_conf
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
COPY email_templates ./email_templates
# Editable install keeps migrations/ and email_templates/ beside the package, where it finds them.
RUN pip install --no-cache-dir -e . && useradd --system --home /app treffpunkt
USER treffpunkt
EXPOSE 8000
CMD ["sh", "-c", "treffpunkt migrate && treffpunkt serve --host 0.0.0.0 --port 8000"]
