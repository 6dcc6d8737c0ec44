"""FastAPI app: webhooks, ops API, health and metrics."""
