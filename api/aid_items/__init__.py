"""Aid items (救助事项): the catalogue of kinds of aid, defined as data."""
