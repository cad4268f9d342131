//! Store reads as jobs, off the task that draws: each load runs on a blocking thread
//! and its answer comes back to the loop as a message.
//!
//! - A load the user is waiting for (caused by a key, or by the answer to such a load)
//!   holds further keys back until it is answered: type-ahead acts on what the screen
//!   will show, as it would if loads were instant. Frames, the clock and notifications
//!   carry on meanwhile.
//! - A load caused by a notification (new message, receipt) never holds keys back: a
//!   burst of arrivals does not make the keyboard lag.
//! - The same query is never run twice at once: asked again while it runs, it runs once
//!   more afterwards (the first answer may predate the write that caused the second
//!   ask). Answers for a conversation left meanwhile are dropped by the app.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::app::i18n::Lang;
use crate::app::{Loaded, Query};
use crate::seat::Seat;

/// A finished load.
pub(super) struct Answer {
    query: Query,
    loaded: Loaded,
}

struct Flight {
    query: Query,
    /// Asked again while running: run once more when answered.
    again: bool,
    /// Someone is waiting for it (keys are held back).
    waited_for: bool,
    /// Someone is waiting for the run after this one.
    again_waited_for: bool,
}

pub(super) struct Loads<E: Seat> {
    engine: E,
    lang: Lang,
    flights: Vec<Flight>,
    done: UnboundedSender<Answer>,
}

impl<E: Seat> Loads<E> {
    pub(super) fn new(engine: &E, lang: Lang) -> (Self, UnboundedReceiver<Answer>) {
        let (done, answers) = unbounded_channel();
        let loads = Loads {
            engine: engine.clone(),
            lang,
            flights: Vec::new(),
            done,
        };
        (loads, answers)
    }

    /// Starts `query` (or marks it to run again if it is running).
    pub(super) fn start(&mut self, query: Query, waited_for: bool) {
        if let Some(f) = self.flights.iter_mut().find(|f| f.query == query) {
            f.again = true;
            f.again_waited_for |= waited_for;
            return;
        }
        self.spawn(query.clone());
        self.flights.push(Flight {
            query,
            again: false,
            waited_for,
            again_waited_for: false,
        });
    }

    fn spawn(&self, query: Query) {
        let engine = self.engine.clone();
        let done = self.done.clone();
        let failed = self
            .lang
            .t("Interner Fehler beim Laden", "internal error while loading");
        tokio::task::spawn_blocking(move || {
            // A load that panicked (a bug) must still answer, or the keys it holds back
            // would never come through.
            let asked = query.clone();
            let loaded =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.load(asked)))
                    .unwrap_or_else(|_| Loaded::Failed(failed.into()));
            // The loop has ended: nobody wants the answer any more.
            let _ = done.send(Answer { query, loaded });
        });
    }

    /// Takes an answer in. Returns what was loaded and whether someone waited for it;
    /// a query asked again meanwhile is started once more.
    pub(super) fn finished(&mut self, answer: Answer) -> (Loaded, bool) {
        let Some(i) = self.flights.iter().position(|f| f.query == answer.query) else {
            return (answer.loaded, false);
        };
        let f = &mut self.flights[i];
        let waited_for = f.waited_for;
        if f.again {
            f.again = false;
            f.waited_for = std::mem::take(&mut f.again_waited_for);
            self.spawn(answer.query);
        } else {
            self.flights.swap_remove(i);
        }
        (answer.loaded, waited_for)
    }

    /// A load the user waits for is running: hold keys back.
    pub(super) fn waited_for(&self) -> bool {
        self.flights.iter().any(|f| f.waited_for)
    }

    pub(super) fn idle(&self) -> bool {
        self.flights.is_empty()
    }
}
