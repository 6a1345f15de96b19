//! The CLI's command groups, one file each. (The trader, LP, staker and setup commands still live in `main.rs`;
//! they move here group by group.)

pub mod governance;
