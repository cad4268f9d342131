//! Setting up the business number in signal-cli: linking as a secondary device of the
//! business phone, or registering a number (a landline by voice call) as the primary
//! device. Only the protocol steps and what their failures mean; prompting is the CLI's.
//!
//! signal-cli reports every failure of these steps as a JSON-RPC error whose code says
//! little on its own (-1 covers "captcha needed", "wrong PIN" and "locked"), so the
//! message text is classified too, against the wording of signal-cli's
//! `RegisterCommand`, `VerifyCommand`, `StartLinkCommand` and `FinishLinkCommand`.

use std::time::Duration;

use serde_json::{Value, json};

use super::rpc::{CallError, RpcClient};

/// Where to get a captcha token (signal-cli's own advice names the same page).
pub const CAPTCHA_URL: &str = "https://signalcaptchas.org/registration/generate.html";

/// What went wrong in a setup step, in terms the office can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum OnboardError {
    #[error(
        "Signal wants a captcha before it sends a code: open {CAPTCHA_URL}, solve it, right-click \"Open Signal\", copy the link and give it with --captcha (or paste it when asked)"
    )]
    CaptchaRequired,
    #[error(
        "Signal did not accept the captcha (they are valid for a few minutes only): solve a new one at {CAPTCHA_URL}"
    )]
    CaptchaRejected,
    #[error(
        "Signal is rate-limiting this number; try again later{}",
        retry_hint(.0)
    )]
    RateLimited(String),
    #[error(
        "Signal calls only after an SMS was requested first: tresen requests the SMS (it does not need to arrive) and calls after a minute"
    )]
    VoiceNeedsSmsFirst,
    #[error(
        "the verification code is wrong or expired; request a new one with `tresen account register signal` again ({0})"
    )]
    WrongCode(String),
    #[error(
        "this number has a registration lock: give its Signal PIN with --pin (or when asked){}",
        detail(.0)
    )]
    PinRequired(String),
    #[error("the Signal PIN is wrong ({0}); too many wrong PINs lock the number for days")]
    WrongPin(String),
    #[error(
        "the number `{0}` is not a number Signal accepts: write it in international format, e.g. +493012345678"
    )]
    BadNumber(String),
    #[error(
        "the business phone did not confirm in time: scan the code again with Signal → Settings → Linked devices → +"
    )]
    LinkTimedOut,
    #[error("signal-cli already holds an account for {number}: {detail}")]
    AlreadyExists { number: String, detail: String },
    #[error(
        "Signal's servers could not be reached ({0}); check the internet connection and try again"
    )]
    Network(String),
    #[error("signal-cli refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Transport(String),
}

fn retry_hint(message: &str) -> String {
    // signal-cli appends "Next attempt may be tried at <time>" when Signal says so.
    message
        .lines()
        .find(|l| l.contains(" at "))
        .map(|l| format!(" ({})", l.trim()))
        .unwrap_or_default()
}

fn detail(message: &str) -> String {
    message
        .lines()
        .find(|l| l.contains("Hours remaining"))
        .map(|l| format!(" ({})", l.trim()))
        .unwrap_or_default()
}

impl OnboardError {
    /// Classifies signal-cli's answer to a setup step.
    pub fn from_call(e: CallError, number: &str) -> OnboardError {
        let r = match e {
            CallError::Rpc(r) => r,
            other => return OnboardError::Transport(other.to_string()),
        };
        let m = r.message.as_str();
        let lower = m.to_lowercase();
        match r.code {
            -5 => OnboardError::RateLimited(m.to_string()),
            -6 => OnboardError::CaptchaRejected,
            -3 if is_network(&lower) => OnboardError::Network(m.to_string()),
            // Signal answered, and refused the code (IncorrectCodeException is an
            // IOException in signal-cli, so it arrives as an I/O error).
            -3 if lower.starts_with("verify error") => OnboardError::WrongCode(m.to_string()),
            -3 => OnboardError::Network(m.to_string()),
            -1 if lower.starts_with("captcha required") => OnboardError::CaptchaRequired,
            -1 if lower.contains("invalid captcha") => OnboardError::CaptchaRejected,
            -1 if lower.contains("before requesting voice verification") => {
                OnboardError::VoiceNeedsSmsFirst
            }
            -1 if lower.contains("locked with a pin") || lower.contains("pin locked") => {
                OnboardError::PinRequired(m.to_string())
            }
            -1 if lower.contains("invalid pin") => OnboardError::WrongPin(m.to_string()),
            -1 if lower.contains("timed out") => OnboardError::LinkTimedOut,
            -1 if lower.contains("already exists") => OnboardError::AlreadyExists {
                number: number.to_string(),
                detail: m.replace('\n', " "),
            },
            -1 if lower.contains("normaliz") || lower.contains("invalid number") => {
                OnboardError::BadNumber(number.to_string())
            }
            -1 if lower.contains("verif") => OnboardError::WrongCode(m.to_string()),
            _ => OnboardError::Refused(r.explain()),
        }
    }
}

/// Whether signal-cli's I/O error means the servers were not reached at all.
fn is_network(lower: &str) -> bool {
    [
        "resolution",
        "unknownhost",
        "connect",
        "timeout",
        "timed out",
        "unreachable",
        "pushnetwork",
        "closed",
        "network",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Asking Signal's servers takes a while; waiting for a person to scan takes longer.
const STEP: Duration = Duration::from_secs(90);
/// signal-cli gives up on a link after its own timeout; ours is only a backstop.
const SCAN: Duration = Duration::from_secs(15 * 60);

/// The accounts signal-cli's data dir already holds.
pub async fn accounts(client: &RpcClient) -> Result<Vec<String>, OnboardError> {
    let v = client
        .call("listAccounts", Value::Null, STEP)
        .await
        .map_err(|e| OnboardError::from_call(e, ""))?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["number"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// A `sgnl://linkdevice…` address for the business phone to scan.
pub async fn start_link(client: &RpcClient) -> Result<String, OnboardError> {
    let v = client
        .call("startLink", Value::Null, STEP)
        .await
        .map_err(|e| OnboardError::from_call(e, ""))?;
    match v["deviceLinkUri"].as_str() {
        Some(uri) if uri.starts_with("sgnl://") => Ok(uri.to_string()),
        _ => Err(OnboardError::Transport(format!(
            "signal-cli's answer to startLink had no device link: {v}"
        ))),
    }
}

/// Waits until the phone has scanned the code; returns the number it linked.
pub async fn finish_link(
    client: &RpcClient,
    uri: &str,
    device_name: &str,
) -> Result<String, OnboardError> {
    let v = client
        .call(
            "finishLink",
            json!({"deviceLinkUri": uri, "deviceName": device_name}),
            SCAN,
        )
        .await
        .map_err(|e| OnboardError::from_call(e, ""))?;
    v["number"].as_str().map(str::to_string).ok_or_else(|| {
        OnboardError::Transport(format!(
            "signal-cli's answer to finishLink named no number: {v}"
        ))
    })
}

/// Asks Signal to send a verification code by SMS or voice call.
pub async fn register(
    client: &RpcClient,
    number: &str,
    voice: bool,
    captcha: Option<&str>,
) -> Result<(), OnboardError> {
    let mut params = json!({"account": number, "voice": voice});
    if let Some(c) = captcha {
        params["captcha"] = json!(c.trim());
    }
    client
        .call("register", params, STEP)
        .await
        .map(|_| ())
        .map_err(|e| OnboardError::from_call(e, number))
}

/// Completes a registration with the code Signal sent (and the PIN of a locked number).
pub async fn verify(
    client: &RpcClient,
    number: &str,
    code: &str,
    pin: Option<&str>,
) -> Result<(), OnboardError> {
    // Signal shows the code as "123-456"; signal-cli wants the digits.
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 6 {
        return Err(OnboardError::WrongCode(format!(
            "`{}` is not a 6-digit code",
            code.trim()
        )));
    }
    let mut params = json!({"account": number, "verificationCode": digits});
    if let Some(p) = pin {
        params["pin"] = json!(p.trim());
    }
    client
        .call("verify", params, STEP)
        .await
        .map(|_| ())
        .map_err(|e| OnboardError::from_call(e, number))
}
