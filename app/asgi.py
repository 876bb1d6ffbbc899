"""The ASGI entry point uvicorn imports: settings from the environment."""

from app import memory
from app.main import create_app

memory.few_arenas()  # before any thread starts
app = create_app()
