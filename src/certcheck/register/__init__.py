"""The register: one model of a run's findings, and one writer per output format."""
