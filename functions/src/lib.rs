//! Tocsin's server: use cases behind ports, adapters, and the HTTP API that serves both the local
//! mode and AWS Lambda. See ARCHITECTURE.md for the map.

pub mod adapters;
pub mod config;
pub mod http;
pub mod lambda;
pub mod ports;
pub mod service;
pub mod startup;
pub mod telemetry;
