"""Stage layer: fetch, parse, extract, normalize, release, and the runner that chains them."""
