# One image for the API, the worker and the sandboxes; the command picks the role.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY settings.py alembic.ini ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY workers ./workers
COPY db ./db
COPY sandboxes ./sandboxes
COPY cli ./cli
COPY locale ./locale
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 returnflow \
 && python -m activities.translations compile \
 && mkdir -p /data/photos && chown -R returnflow /data
USER returnflow
EXPOSE 8000
CMD ["uvicorn", "api.app:app_factory", "--factory", "--host", "0.0.0.0", "--port", "8000"]
