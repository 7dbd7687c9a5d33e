"""The dialogue engine: a pure state machine from caller events to bot actions (no I/O).

`engine` dispatches; one call's state is a `state.CallState` and each concern is a module of
functions that take it and return actions (`filling`, `confirmation`, `lookups`, …); every
default sentence is in `wording`."""
