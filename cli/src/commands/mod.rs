//! One module per `vdb` subcommand.

pub mod demo;
pub mod fsck;
