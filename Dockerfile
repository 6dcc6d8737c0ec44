FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
# Without sandbox/ and devtools/ (.dockerignore): the image is the product only.
COPY sync_engine ./sync_engine
COPY workers ./workers
COPY schedules ./schedules
COPY migrations ./migrations
RUN pip install --no-cache-dir . flower==2.0.1 \
    && useradd --create-home --uid 10001 sync && mkdir -p /app/var && chown sync /app/var
USER sync
EXPOSE 8000
CMD ["sync-engine", "web", "--host", "0.0.0.0", "--port", "8000"]
