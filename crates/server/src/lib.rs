//! AdapterBot HTTP server (being built).
