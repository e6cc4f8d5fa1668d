"""Text layer: decoding, cleanup, sections and the document format parsers (depends on schemas only)."""
