"""State changes of 存房 (flat pooling): entrustments, agreements, listings. Keyword-only, atomic."""
