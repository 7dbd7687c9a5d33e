"""The admin's language: dialogue flow models, the YAML loader with file:line, the load-time
checks (`checks`, routing and queues included), lint, schema, graph and validation.

Imports only `language` and the kernel (docs/architecture.md)."""
