"""Spoken words shared by parsers, grammars and read-back: number, month and weekday words,
`normalise()`, the global commands' phrases, the pronunciation dictionary.

The bottom layer above the kernel, which is all it imports."""
