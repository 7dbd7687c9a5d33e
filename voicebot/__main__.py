from voicebot.cli import app

app()
