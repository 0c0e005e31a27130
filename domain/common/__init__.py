"""Helpers every area uses: Shanghai time, the glossary's codes (design section 4), matching keys, money in fen."""
