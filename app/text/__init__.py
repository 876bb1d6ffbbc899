"""Arabic-first text handling: normalisation, slugs, reading time and article body HTML."""
