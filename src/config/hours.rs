//! `[hours]`: the office's business hours, holidays and closures, and the away reply
//! customers get when they write while it is closed (docs/config.md).

use serde::{Deserialize, Serialize};

use crate::domain::holidays::Bundesland;
use crate::domain::hours::{self, AwayReplies, Hours};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HoursConfig {
    pub monday: String,
    pub tuesday: String,
    pub wednesday: String,
    pub thursday: String,
    pub friday: String,
    pub saturday: String,
    pub sunday: String,
    /// Whose public holidays close the office: a Bundesland's code or name. Empty:
    /// only the nationwide ones.
    pub state: String,
    /// Local holidays (`YYYY-MM-DD`).
    pub extra_holidays: Vec<String>,
    /// Company closures: `YYYY-MM-DD..YYYY-MM-DD` (both days closed) or one date.
    pub closures: Vec<String>,
    /// Answer a customer who writes while the office is closed, once per closed period.
    pub away_reply: bool,
    pub away_text: String,
    /// For a message that `[[urgent]]` marks (e.g. with the emergency number). Empty:
    /// `away_text`.
    pub urgent_away_text: String,
}

impl Default for HoursConfig {
    fn default() -> Self {
        Self {
            monday: String::new(),
            tuesday: String::new(),
            wednesday: String::new(),
            thursday: String::new(),
            friday: String::new(),
            saturday: String::new(),
            sunday: String::new(),
            state: String::new(),
            extra_holidays: Vec::new(),
            closures: Vec::new(),
            away_reply: false,
            away_text: hours::DEFAULT_AWAY_TEXT.to_string(),
            urgent_away_text: String::new(),
        }
    }
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl HoursConfig {
    /// The checked hours; an error names the key (`hours.friday`, `hours.closures[1]`).
    pub fn hours(&self) -> Result<Hours, (String, String)> {
        let texts = [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ];
        let mut h = Hours::default();
        for (i, text) in texts.iter().enumerate() {
            h.week[i] = hours::parse_spans(text).map_err(|m| (format!("hours.{}", DAYS[i]), m))?;
        }
        if !self.state.trim().is_empty() {
            h.land = Some(Bundesland::parse(&self.state).ok_or_else(|| {
                (
                    "hours.state".to_string(),
                    format!(
                        "unknown Bundesland `{}`; one of: {}",
                        self.state,
                        Bundesland::ALL.map(Bundesland::code).join(", ")
                    ),
                )
            })?);
        }
        for (i, d) in self.extra_holidays.iter().enumerate() {
            let (a, _) = hours::parse_closure(d)
                .ok()
                .filter(|(a, b)| a == b)
                .ok_or_else(|| {
                    (
                        format!("hours.extra_holidays[{i}]"),
                        format!("`{d}`: expected one date YYYY-MM-DD"),
                    )
                })?;
            h.extra_holidays.push(a);
        }
        for (i, c) in self.closures.iter().enumerate() {
            h.closures
                .push(hours::parse_closure(c).map_err(|m| (format!("hours.closures[{i}]"), m))?);
        }
        Ok(h)
    }

    /// The away replies, if the office wants them and has hours to be away from.
    pub fn away(&self) -> Result<Option<AwayReplies>, (String, String)> {
        let h = self.hours()?;
        for (key, text) in [
            ("hours.away_text", &self.away_text),
            ("hours.urgent_away_text", &self.urgent_away_text),
        ] {
            hours::check_placeholders(text).map_err(|m| (key.to_string(), m))?;
        }
        if self.away_reply && self.away_text.trim().is_empty() {
            return Err((
                "hours.away_text".into(),
                "empty, but away_reply is on: write the text customers get".into(),
            ));
        }
        if self.away_reply && !h.is_set() {
            return Err((
                "hours.away_reply".into(),
                "on, but no opening times are set (hours.monday … hours.sunday)".into(),
            ));
        }
        Ok(self.away_reply.then(|| AwayReplies {
            hours: h,
            text: self.away_text.clone(),
            urgent_text: Some(self.urgent_away_text.clone()).filter(|t| !t.trim().is_empty()),
        }))
    }
}
