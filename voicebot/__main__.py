from voicebot.app.cli import app

app()
