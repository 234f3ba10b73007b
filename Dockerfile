# The GOV.UK Design System assets (package-lock.json pins govuk-frontend), built as `make frontend` does.
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend frontend
COPY scripts/build-govuk.mjs scripts/
RUN npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=frontend /build/static/govuk static/govuk
COPY --from=frontend /build/static/chartjs static/chartjs
RUN SECRET_KEY=build python manage.py collectstatic --no-input --verbosity 0
EXPOSE 8000
# gunicorn.conf.py (copied above) holds the server's settings: 0.0.0.0:8000, 4 processes x 1 thread.
CMD ["gunicorn", "careleavers.wsgi"]
