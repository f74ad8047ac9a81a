"""Celery workers: `celery -A workers worker` and `celery -A workers beat` use :data:`celery_app`."""
from workers.celery_app import celery_app

__all__ = ["celery_app"]
