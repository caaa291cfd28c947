//! One module per `vdb` subcommand (`table`'s import and export have their own files).

pub mod add;
pub mod branch;
pub mod checkout;
pub mod cherry_pick;
pub mod commit;
pub mod config;
pub mod conflicts;
pub mod demo;
pub mod diff;
pub mod export;
pub mod fsck;
pub mod gc;
pub mod import;
pub mod init;
pub mod log;
pub mod merge;
pub mod reset;
pub mod revert;
pub mod serve;
pub mod show;
pub mod sql;
pub mod status;
pub mod table;
pub mod tag;
