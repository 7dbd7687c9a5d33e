"""Audio utilities: G.711 μ-law, resampling, 20 ms framing and WAV files.

Pure functions over raw bytes, so the Twilio code and tests share one codec.
"""
