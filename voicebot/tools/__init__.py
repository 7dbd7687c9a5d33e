"""Tools around the bot: the demo call, the caller simulator and the replay harness (scenarios,
runner, reports, fixture recording). They drive a real server, so they sit above it."""
