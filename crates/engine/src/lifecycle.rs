//! Stopping gracefully: background loops check between batches whether the process is stopping
//! and wake from their waits when it is, so a stop never cuts a batch in half.

use crate::Engine;
use std::time::Duration;
use tokio::sync::Notify;

impl Engine {
    /// Asks every background loop of this process to return after the work in hand.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// A receiver that sees the stop, for loops that wait on something else too.
    pub(crate) fn stopping_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Waits `d`, or less when `wake` is notified; true when the process is stopping (at once
    /// if it already is).
    pub(crate) async fn pause(&self, d: Duration, wake: Option<&Notify>) -> bool {
        let mut stop = self.stopping.subscribe();
        if *stop.borrow() {
            return true;
        }
        let woken = async {
            match wake {
                Some(n) => {
                    let _ = tokio::time::timeout(d, n.notified()).await;
                }
                None => tokio::time::sleep(d).await,
            }
        };
        tokio::select! {
            _ = woken => self.is_stopping(),
            _ = stop.wait_for(|s| *s) => true,
        }
    }
}
