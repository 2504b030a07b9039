pub mod bench;
pub mod chat;
pub mod data;
pub mod eval;
pub mod eval_adapters;
pub mod generate;
pub mod skill;
pub mod train;
