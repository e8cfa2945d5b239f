//! Workspace host for examples and integration tests.
