//! The one shape every change that waits for the timelock takes: the exchange's (guardian, treasury, delay,
//! allowed oracle receiver), a market's parameters, a market's oracle, and a fund's staking rules. Each keeps its
//! proposed value beside a [`Timelock`], and every handler goes through the same three steps, so no kind can lack
//! a cancel, apply early or be overwritten while queued.

use crate::error::{MathError, MathResult};

crate::idl_struct! {
    /// When a queued change may apply. Stored in the account beside the proposed value.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct Timelock {
        /// Unix seconds from which the change may be applied; 0: nothing queued.
        pub eta: i64,
    }
}

impl Timelock {
    pub fn is_queued(&self) -> bool {
        self.eta != 0
    }

    /// Queues a change at `now` for `delay` seconds; returns its eta. One change of a kind at a time: a second
    /// would silently replace what watchers have been reading.
    pub fn queue(&mut self, now: i64, delay: i64) -> MathResult<i64> {
        if self.is_queued() {
            return Err(MathError::ChangeAlreadyQueued);
        }
        let eta = now.checked_add(delay).ok_or(MathError::Overflow)?;
        if eta == 0 {
            // 0 means "nothing queued"; no real clock and delay meet there.
            return Err(MathError::Overflow);
        }
        self.eta = eta;
        Ok(eta)
    }

    /// Takes the queued change for applying at `now`: refused before its eta or when nothing is queued.
    pub fn take_due(&mut self, now: i64) -> MathResult<()> {
        if !self.is_queued() {
            return Err(MathError::NoQueuedChange);
        }
        if now < self.eta {
            return Err(MathError::TimelockNotElapsed);
        }
        self.eta = 0;
        Ok(())
    }

    /// Drops the queued change; refused when nothing is queued.
    pub fn cancel(&mut self) -> MathResult<()> {
        if !self.is_queued() {
            return Err(MathError::NoQueuedChange);
        }
        self.eta = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_take_due_and_cancel() {
        let mut lock = Timelock::default();
        assert_eq!(lock.take_due(100), Err(MathError::NoQueuedChange));
        assert_eq!(lock.cancel(), Err(MathError::NoQueuedChange));
        assert_eq!(lock.queue(1_000, 3_600), Ok(4_600));
        assert_eq!(lock.queue(1_001, 3_600), Err(MathError::ChangeAlreadyQueued), "no silent replacement");
        assert_eq!(lock.take_due(4_599), Err(MathError::TimelockNotElapsed));
        assert_eq!(lock, Timelock { eta: 4_600 }, "a refused apply changes nothing");
        assert_eq!(lock.take_due(4_600), Ok(()));
        assert!(!lock.is_queued());
        assert_eq!(lock.take_due(4_601), Err(MathError::NoQueuedChange), "applied once");
        lock.queue(5_000, 10).unwrap();
        assert_eq!(lock.cancel(), Ok(()));
        assert_eq!(lock.take_due(6_000), Err(MathError::NoQueuedChange), "a cancelled change never applies");
        assert_eq!(lock.queue(i64::MAX, 1), Err(MathError::Overflow));
    }
}
