# clinvault: one image for the API, the vault service and the ingest job (compose picks the
# command). Multi-stage: wheels are built with build tools, the final image has none.
# syntax=docker/dockerfile:1.7

FROM python:3.11.10-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY vault ./vault
COPY indexing ./indexing
# "[ray]" for the Ray nodes and the Ray ingest driver (docker-compose `ray` profile)
ARG CLINVAULT_EXTRAS=""
# CPU torch first (other versions pull multi-GB CUDA builds)
RUN pip wheel --no-cache-dir --wheel-dir /wheels \
      --extra-index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip wheel --no-cache-dir --wheel-dir /wheels ".${CLINVAULT_EXTRAS}"

FROM python:3.11.10-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    LITELLM_OFFLINE_MODE=true \
    LITELLM_LOCAL_MODEL_COST_MAP=True
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl \
 && rm -rf /wheels \
 && groupadd --system --gid 10001 clinvault \
 && useradd --system --uid 10001 --gid clinvault --home-dir /var/lib/clinvault clinvault \
 && install -d -o clinvault -g clinvault -m 0700 /var/lib/clinvault
USER clinvault:clinvault
WORKDIR /var/lib/clinvault
EXPOSE 8765 8443
HEALTHCHECK NONE
ENTRYPOINT []
CMD ["clinvault", "serve", "--host", "0.0.0.0"]
