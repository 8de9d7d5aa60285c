"""The multi-echelon plan: supplier -> central -> regional -> store (DESIGN section 7)."""
