"""Speech services: voice activity detection, speech recognition and speech synthesis.

Each backend sits behind pipecat's service interfaces; vendor errors become SpeechError here.
"""
