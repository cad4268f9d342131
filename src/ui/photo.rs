//! Photos in the timeline: the conversation leaves blank rows under a photo's file
//! line, and the photo is drawn over them once the text is laid out — only when it
//! fits whole on screen (a graphics protocol cannot draw half a picture).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::photos::{PhotoState, Photos};
use crate::domain::MessageId;
use crate::preview::Photo;

/// The prepared photo of attachment `index` of `message`, if it fits `width`.
pub fn fitting(photos: &Photos, message: MessageId, index: usize, width: usize) -> Option<Photo> {
    match photos.get(message, index) {
        Some(PhotoState::Ready(p)) if usize::from(p.cols) + INDENT <= width => Some(p.clone()),
        _ => None,
    }
}

/// Columns left of a photo, as the message text is indented.
pub const INDENT: usize = 2;

/// Draws each photo whose rows are all on screen; `first_row` is the screen row of
/// line 0 of the laid-out timeline (negative when its top is cut off).
pub fn draw(frame: &mut Frame<'_>, area: Rect, first_row: i32, placed: &[(usize, Photo)]) {
    for (line, photo) in placed {
        let top = first_row.saturating_add(i32::try_from(*line).unwrap_or(i32::MAX));
        let bottom = top.saturating_add(i32::from(photo.rows));
        if top < 0 || bottom > i32::from(area.height) {
            continue;
        }
        let rect = Rect::new(
            area.x + INDENT as u16,
            area.y + top as u16,
            photo.cols.min(area.width.saturating_sub(INDENT as u16)),
            photo.rows,
        );
        photo.draw(rect, frame.buffer_mut());
    }
}
