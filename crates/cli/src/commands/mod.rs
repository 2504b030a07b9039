pub mod bench;
pub mod chat;
pub mod eval;
pub mod generate;
pub mod knowledge;
