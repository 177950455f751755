# Otklik stage processes (`otklik run STAGE`, `otklik console`, `otklik migrate`).
# Built by docker-compose.yml; one image, the command picks the stage.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OTKLIK_DATA_DIR=/var/lib/otklik \
    OTKLIK_LOG_JSON=true \
    TZ=UTC

RUN groupadd --system otklik \
    && useradd --system --gid otklik --home-dir /app --shell /usr/sbin/nologin otklik \
    && mkdir -p /var/lib/otklik \
    && chown otklik:otklik /var/lib/otklik

WORKDIR /app

# Dependencies first, so code edits do not re-download them.
COPY pyproject.toml ./
RUN mkdir -p schemas collectors classifier router cases sla_tracker publisher console otklik \
    && for p in schemas collectors classifier router cases sla_tracker publisher console otklik; do \
         touch "$p/__init__.py"; done \
    && pip install . \
    && pip uninstall -y otklik

# Region data sits beside the packages: settings find it relative to the source tree.
COPY regions/ regions/
COPY schemas/ schemas/
COPY collectors/ collectors/
COPY classifier/ classifier/
COPY router/ router/
COPY cases/ cases/
COPY sla_tracker/ sla_tracker/
COPY publisher/ publisher/
COPY console/ console/
COPY otklik/ otklik/
RUN pip install --no-deps -e . && python -c "import otklik.cli"

USER otklik
VOLUME ["/var/lib/otklik"]
EXPOSE 8000
ENTRYPOINT ["otklik"]
CMD ["--help"]
