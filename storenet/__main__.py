from storenet.cli import app

app()
