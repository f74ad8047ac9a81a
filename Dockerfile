# The moderation service image: one image for the API (gunicorn), the Celery worker
# and Celery beat; docker-compose.yml picks the command. Build: docker build -t comment-moderation .
FROM python:3.11-slim

# No .pyc files in the image, unbuffered logs (seen immediately by `docker logs`), quiet pip.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the package (and its dependencies) from the source, then drop the source:
# the services run the installed copy, so nothing in /app shadows it.
WORKDIR /src
COPY pyproject.toml ./
COPY moderation ./moderation
COPY workers ./workers
RUN pip install . && rm -rf /src

# Runtime directory: only the configuration files (formats, gunicorn, redis for reference).
WORKDIR /app
COPY config ./config

# Run as an unprivileged user: a compromised process gets no root in the container.
RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin moderation
USER moderation

# Listen on all interfaces inside the container (gunicorn.conf.py reads HOST and PORT);
# point the app at the formats file here, since the installed package is not next to config/.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    MODERATION_FORMATS_FILE=/app/config/formats.toml
EXPOSE 8000

CMD ["gunicorn", "--config", "/app/config/gunicorn.conf.py"]
