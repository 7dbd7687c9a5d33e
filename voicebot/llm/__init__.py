"""The optional LLM layer (ollama): understanding fallback, phrasing and grounded answers."""
