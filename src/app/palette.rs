//! The colour palette the inbox is drawn in, as configured (`[ui] theme`, `NO_COLOR`);
//! `ui::theme` applies it to the drawn frame.

/// The colours of the inbox: for a dark or a light terminal background, or none at all
/// (also whenever `NO_COLOR` is set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Palette {
    #[default]
    Dark,
    Light,
    Mono,
}
