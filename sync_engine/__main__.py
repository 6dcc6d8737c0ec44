from sync_engine.cli import app

app()
