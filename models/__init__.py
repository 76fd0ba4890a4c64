"""Shipped model files: EmotionVGGNet weights, LiteRT export and model card."""
