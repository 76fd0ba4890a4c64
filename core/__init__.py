"""UI-free pipeline: sources, detection, classification, tracking, training."""
