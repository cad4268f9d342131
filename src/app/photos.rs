//! Photo previews of the open conversation: which photos to ask for, and what came back.
//! The runtime decodes them off the drawing task; the app only keeps the prepared
//! pictures (a bounded number) and says which are on their way.

use std::collections::{HashMap, VecDeque};

use super::{App, Effect};
use crate::domain::MessageId;
use crate::preview::Photo;

/// Prepared photos kept at most; enough for every photo a screen can show.
const KEEP: usize = 24;
/// New requests per load: the newest photos first, the rest when they are scrolled to.
const PER_LOAD: usize = 6;
/// The preview's box: a thumbnail, not a viewer (`Enter` in `a` opens the file).
pub const MAX_COLS: u16 = 48;
pub const MAX_ROWS: u16 = 12;

#[derive(Debug, Clone, PartialEq)]
pub enum PhotoState {
    Loading,
    Ready(Photo),
    /// Not a photo after all, damaged, or too large: the file line is enough.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Photos {
    by_file: HashMap<(MessageId, usize), PhotoState>,
    /// Oldest request first, for making room.
    order: VecDeque<(MessageId, usize)>,
}

impl Photos {
    pub fn get(&self, message: MessageId, index: usize) -> Option<&PhotoState> {
        self.by_file.get(&(message, index))
    }

    fn insert(&mut self, key: (MessageId, usize), state: PhotoState) {
        if self.by_file.insert(key, state).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > KEEP {
            if let Some(old) = self.order.pop_front() {
                self.by_file.remove(&old);
            }
        }
    }
}

impl App {
    /// Asks for previews of the open conversation's photos that are here (downloaded or
    /// sent from here), newest first.
    pub(super) fn request_photos(&mut self) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return vec![];
        };
        if !self.cfg.photos {
            return vec![];
        }
        let cols = MAX_COLS.min(self.conversation_width().saturating_sub(4));
        if cols < 8 {
            return vec![];
        }
        let wanted: Vec<(MessageId, usize)> = open
            .messages
            .iter()
            .rev()
            .flat_map(|m| {
                m.attachments
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.blob.is_some() && crate::preview::is_photo(&a.mime))
                    .map(move |(i, _)| (m.id, i))
            })
            .filter(|k| self.photos.get(k.0, k.1).is_none())
            .take(PER_LOAD)
            .collect();
        wanted
            .into_iter()
            .map(|(message, index)| {
                self.photos.insert((message, index), PhotoState::Loading);
                Effect::LoadPhoto {
                    message,
                    index,
                    cols,
                    rows: MAX_ROWS,
                }
            })
            .collect()
    }

    pub(super) fn photo_ready(
        &mut self,
        message: MessageId,
        index: usize,
        photo: Result<Photo, String>,
    ) {
        let state = match photo {
            Ok(p) => PhotoState::Ready(p),
            Err(e) => {
                tracing::debug!("no preview for {message:?}/{index}: {e}");
                PhotoState::Failed
            }
        };
        self.photos.insert((message, index), state);
    }
}
