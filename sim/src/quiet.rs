//! The program's logs, silenced while a simulation runs. Built natively, the program's `msg!` is a `println!` to the
//! process's stdout (the native stub of `sol_log`), and no logger setting reaches it: every refused order of a
//! trader trading through a crash would be a line between the report's. This points stdout at /dev/null for the
//! guard's lifetime and restores it after, so the report is all stdout carries.

use std::io::Write;

pub struct SilencedStdout {
    saved: libc::c_int,
}

impl SilencedStdout {
    /// Silences stdout until the guard is dropped; `None` (nothing silenced) if the descriptors cannot be had.
    pub fn new() -> Option<Self> {
        let _ = std::io::stdout().flush();
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null").ok()?;
        // SAFETY: plain descriptor calls on descriptors this process owns; `saved` is restored on drop.
        unsafe {
            let saved = libc::dup(libc::STDOUT_FILENO);
            if saved < 0 {
                return None;
            }
            if libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), libc::STDOUT_FILENO) < 0 {
                libc::close(saved);
                return None;
            }
            Some(Self { saved })
        }
    }
}

impl Drop for SilencedStdout {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        // SAFETY: restores the descriptor saved in `new` and closes the copy.
        unsafe {
            libc::dup2(self.saved, libc::STDOUT_FILENO);
            libc::close(self.saved);
        }
    }
}
