//! Operator actions on a PnP device — approve, retry, reset — as pure changes to its stored
//! record. They arrive through the admin API (authenticated by the admin CA) and are audited
//! there; here they only decide what changes, and refuse what makes no sense.

use crate::roles::pnp_server::state::{Context, DeviceState};
use crate::store::pnp::PnpDeviceRecord;

/// An operator action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Release an unclaimed device: its next work request chooses a plan as an approved device.
    Approve,
    /// Run the failed step again.
    Retry,
    /// Start over: no plan, step 0, empty context (approval is kept).
    Reset,
}

impl Action {
    /// Parses the action name of an admin API path.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "approve" => Some(Self::Approve),
            "retry" => Some(Self::Retry),
            "reset" => Some(Self::Reset),
            _ => None,
        }
    }
}

/// Why an action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// Retry only applies to a plan that stopped on a failure.
    #[error("device is {state}: only a failed plan can be retried")]
    NotFailed {
        /// The device's state.
        state: String,
    },
    /// The stored context cannot be read.
    #[error("stored workflow context is unreadable")]
    BadContext,
}

/// Applies `action` to `rec`; returns the history note.
pub fn apply(action: Action, rec: &mut PnpDeviceRecord) -> Result<String, ActionError> {
    match action {
        Action::Approve => {
            rec.approved = true;
            if matches!(
                rec.state.parse(),
                Ok(DeviceState::Unclaimed | DeviceState::Refused)
            ) {
                rec.state = DeviceState::New.to_string();
                rec.profile = None;
            }
            Ok("approved by an operator".into())
        }
        Action::Retry => {
            let state: DeviceState = rec.state.parse().unwrap_or(DeviceState::New);
            if !matches!(
                state,
                DeviceState::Failed(_) | DeviceState::BootflashNoSpace
            ) {
                return Err(ActionError::NotFailed {
                    state: rec.state.clone(),
                });
            }
            let mut ctx: Context =
                serde_json::from_value(rec.context.clone()).map_err(|_| ActionError::BadContext)?;
            ctx.pending = None;
            ctx.reload = None;
            // Facts gathered before the failure may be stale (free space, version): ask again.
            ctx.free_bytes.clear();
            ctx.running_version = None;
            rec.context = serde_json::to_value(&ctx).map_err(|_| ActionError::BadContext)?;
            rec.state = DeviceState::New.to_string();
            Ok(format!(
                "retry of step {} requested by an operator",
                ctx.step
            ))
        }
        Action::Reset => {
            rec.state = DeviceState::New.to_string();
            rec.profile = None;
            rec.step = 0;
            rec.context = serde_json::Value::Null;
            Ok("reset by an operator".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rec(state: DeviceState) -> PnpDeviceRecord {
        PnpDeviceRecord {
            serial: "FOC1".into(),
            pid: "C9300-24T".into(),
            udi: "PID:C9300-24T,VID:V01,SN:FOC1".into(),
            state: state.to_string(),
            profile: Some("edge".into()),
            step: 3,
            approved: false,
            last_contact: chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            context: serde_json::to_value(Context {
                step: 3,
                running_version: Some("17.3.4a".into()),
                ..Context::default()
            })
            .unwrap(),
        }
    }

    #[test]
    fn approval_releases_an_unclaimed_device() {
        let mut r = rec(DeviceState::Unclaimed);
        apply(Action::Approve, &mut r).unwrap();
        assert!(r.approved);
        assert_eq!((r.state.as_str(), r.profile.as_deref()), ("NEW", None));
    }

    #[test]
    fn retry_resumes_the_failed_step_with_fresh_facts() {
        let mut r = rec(DeviceState::Failed("image: 1816".into()));
        apply(Action::Retry, &mut r).unwrap();
        let ctx: Context = serde_json::from_value(r.context.clone()).unwrap();
        assert_eq!((ctx.step, ctx.running_version), (3, None));
        assert_eq!(r.profile.as_deref(), Some("edge"));
        let mut busy = rec(DeviceState::ImageInstalling);
        assert!(matches!(
            apply(Action::Retry, &mut busy),
            Err(ActionError::NotFailed { .. })
        ));
    }

    #[test]
    fn reset_starts_over_but_keeps_approval() {
        let mut r = rec(DeviceState::Finished);
        r.approved = true;
        apply(Action::Reset, &mut r).unwrap();
        assert_eq!((r.step, r.profile.clone(), r.approved), (0, None, true));
        assert_eq!(r.context, serde_json::Value::Null);
    }
}
