//! [`PnpStore`] on SQLite: `pnp_devices` and `pnp_history` (schema version 2). A batch of records
//! and their history entries is written in one transaction.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::OptionalExtension;

use crate::store::pnp::{PnpDeviceRecord, PnpHistoryEntry, PnpStore, parse_context};
use crate::store::sqlite::sql;
use crate::store::{SqliteStore, StoreError};

const COLUMNS: &str = "serial, pid, udi, state, profile, step, approved, last_contact, context";

impl PnpStore for SqliteStore {
    fn pnp_device(&self, serial: &str) -> Result<Option<PnpDeviceRecord>, StoreError> {
        let op = "read a PnP device";
        let raw = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM pnp_devices WHERE serial = ?1"),
                [serial],
                raw_record,
            )
            .optional()
            .map_err(sql(op))?;
        let Some((mut rec, context)) = raw.map(RawRecord::check).transpose()? else {
            return Ok(None);
        };
        rec.context = parse_context(&context)?;
        Ok(Some(rec))
    }

    fn visit_pnp_devices(
        &self,
        f: &mut dyn FnMut(PnpDeviceRecord, &str),
    ) -> Result<(), StoreError> {
        let op = "list PnP devices";
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM pnp_devices ORDER BY serial"
            ))
            .map_err(sql(op))?;
        let mut rows = stmt.query([]).map_err(sql(op))?;
        while let Some(row) = rows.next().map_err(sql(op))? {
            let (rec, context) = raw_record(row).map_err(sql(op))?.check()?;
            f(rec, &context);
        }
        Ok(())
    }

    fn save_pnp_batch(
        &mut self,
        records: &[PnpDeviceRecord],
        history: &[(String, PnpHistoryEntry)],
    ) -> Result<(), StoreError> {
        self.write("save PnP devices", |tx| {
            let mut upsert = tx.prepare_cached(&format!(
                "INSERT INTO pnp_devices ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (serial) DO UPDATE SET pid = excluded.pid, udi = excluded.udi,
                   state = excluded.state, profile = excluded.profile, step = excluded.step,
                   approved = excluded.approved, last_contact = excluded.last_contact,
                   context = excluded.context"
            ))?;
            for r in records {
                upsert.execute(rusqlite::params![
                    r.serial,
                    r.pid,
                    r.udi,
                    r.state,
                    r.profile,
                    r.step,
                    r.approved,
                    time_text(r.last_contact),
                    r.context.to_string(),
                ])?;
            }
            let mut append = tx.prepare_cached(
                "INSERT INTO pnp_history (serial, at, state, note) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (serial, h) in history {
                append.execute((serial, time_text(h.at), &h.state, &h.note))?;
            }
            Ok(())
        })
    }

    fn pnp_history(&self, serial: &str, limit: usize) -> Result<Vec<PnpHistoryEntry>, StoreError> {
        let op = "read PnP history";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT at, state, note FROM (
                   SELECT id, at, state, note FROM pnp_history WHERE serial = ?1
                   ORDER BY id DESC LIMIT ?2
                 ) ORDER BY id",
            )
            .map_err(sql(op))?;
        let rows = stmt
            .query_map((serial, limit), |row| {
                Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(sql(op))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql(op))?;
        rows.into_iter()
            .map(|(at, state, note)| {
                Ok(PnpHistoryEntry {
                    at: parse_time("pnp_history.at", &at)?,
                    state,
                    note,
                })
            })
            .collect()
    }
}

/// A row as stored, before its text columns are checked.
struct RawRecord {
    serial: String,
    pid: String,
    udi: String,
    state: String,
    profile: Option<String>,
    step: u32,
    approved: bool,
    last_contact: String,
    context: String,
}

impl RawRecord {
    /// The record (its `context` left `Null`) and the stored context text.
    fn check(self) -> Result<(PnpDeviceRecord, String), StoreError> {
        let rec = PnpDeviceRecord {
            last_contact: parse_time("pnp_devices.last_contact", &self.last_contact)?,
            serial: self.serial,
            pid: self.pid,
            udi: self.udi,
            state: self.state,
            profile: self.profile,
            step: self.step,
            approved: self.approved,
            context: serde_json::Value::Null,
        };
        Ok((rec, self.context))
    }
}

fn raw_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok(RawRecord {
        serial: row.get(0)?,
        pid: row.get(1)?,
        udi: row.get(2)?,
        state: row.get(3)?,
        profile: row.get(4)?,
        step: row.get(5)?,
        approved: row.get(6)?,
        last_contact: row.get(7)?,
        context: row.get(8)?,
    })
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(column: &'static str, text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt {
            column,
            value: text.chars().take(64).collect(),
        })
}
