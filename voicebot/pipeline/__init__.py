"""The per-call pipecat pipeline: processors and the frames they exchange."""
