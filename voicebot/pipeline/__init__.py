"""The per-call pipecat pipeline (`builder`), stage selection (`stack`), and one processor or
helper per file around the dialogue adapter: call record, playout and timers, caller emotion,
the LLM's understanding fallback and phrasing, carrying out a transfer."""
