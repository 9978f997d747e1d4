"""Converter errors. Every message is one line naming the cause and, where there is one, the fix."""


class ConvertError(ValueError):
    """The model cannot be converted (bad file, bad --input-shape, inconsistent graph)."""


class UnsupportedError(ConvertError):
    """The model uses an op, attribute or attribute value S-Tinylib does not implement (exit code 2)."""
