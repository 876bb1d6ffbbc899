"""The ASGI entry point uvicorn imports: settings from the environment."""

from app.main import create_app

app = create_app()
