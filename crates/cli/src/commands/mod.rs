pub mod bench;
pub mod chat;
pub mod generate;
pub mod healthcheck;
pub mod serve;
