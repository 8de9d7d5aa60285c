"""storenet: a retail operating system for a brand that sells through thousands of stores."""

__version__ = "0.1.0"
