"""The settings area's pages, one module per page family."""
