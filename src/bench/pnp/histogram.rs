//! A log-bucketed latency histogram: constant memory, O(1) recording, percentiles within
//! 1/[`SUB_BUCKETS`] (6.25 %) of the true value. One per load task, merged at the end, so the
//! hot path takes no lock.
//!
//! Inputs: durations measured by the benchmark itself (trusted). Pure: no I/O, no clock.

use std::time::Duration;

/// Sub-buckets per power of two: values are kept with 4 significant bits.
pub const SUB_BUCKETS: u64 = 16;

/// Values below this many nanoseconds have a bucket each (exact).
const LINEAR_LIMIT: u64 = SUB_BUCKETS;
/// log2 of [`SUB_BUCKETS`].
const SUB_BITS: u32 = SUB_BUCKETS.trailing_zeros();
/// Buckets needed for every `u64` nanosecond value.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB_BUCKETS as usize;

/// Latency histogram over nanoseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    /// Records one latency (saturating at `u64::MAX` nanoseconds, about 584 years).
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        if let Some(slot) = self.counts.get_mut(bucket_of(nanos)) {
            *slot = slot.saturating_add(1);
        }
        self.count = self.count.saturating_add(1);
        self.min = self.min.min(nanos);
        self.max = self.max.max(nanos);
        self.sum = self.sum.saturating_add(u128::from(nanos));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.count = self.count.saturating_add(other.count);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum = self.sum.saturating_add(other.sum);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value at quantile `q` (0.0–1.0, clamped): the middle of the bucket holding the
    /// `ceil(q · count)`-th smallest value, clamped to the exact minimum and maximum. `None`
    /// when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let q = if q.is_nan() { 1.0 } else { q.clamp(0.0, 1.0) };
        // The float product is at most `count`, so the cast back is in range.
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        // The extremes are known exactly.
        if rank == 1 {
            return Some(Duration::from_nanos(self.min));
        }
        if rank == self.count {
            return Some(Duration::from_nanos(self.max));
        }
        let mut seen = 0u64;
        for (index, n) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(*n);
            if seen >= rank {
                let value = bucket_middle(index).clamp(self.min, self.max);
                return Some(Duration::from_nanos(value));
            }
        }
        Some(Duration::from_nanos(self.max))
    }

    /// Summary figures for reports.
    pub fn summary(&self) -> LatencySummary {
        let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
        let mean_ns = match self.count {
            0 => 0.0,
            n => self.sum as f64 / n as f64,
        };
        LatencySummary {
            count: self.count,
            mean_ms: mean_ns / 1e6,
            p50_ms: ms(self.quantile(0.50)),
            p90_ms: ms(self.quantile(0.90)),
            p99_ms: ms(self.quantile(0.99)),
            max_ms: ms((self.count > 0).then(|| Duration::from_nanos(self.max))),
        }
    }
}

/// Latency percentiles in milliseconds (0 when nothing was recorded).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Arithmetic mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest value (exact).
    pub max_ms: f64,
}

/// The bucket of a value: exact below [`LINEAR_LIMIT`], then [`SUB_BUCKETS`] per power of two.
fn bucket_of(nanos: u64) -> usize {
    if nanos < LINEAR_LIMIT {
        return nanos as usize;
    }
    let exponent = 63 - nanos.leading_zeros(); // ≥ SUB_BITS
    let shift = exponent - SUB_BITS;
    let sub = (nanos >> shift) & (SUB_BUCKETS - 1);
    ((shift + 1) as usize) * SUB_BUCKETS as usize + sub as usize
}

/// The middle of a bucket's value range.
fn bucket_middle(index: usize) -> u64 {
    let per = SUB_BUCKETS as usize;
    if index < per {
        return index as u64;
    }
    let shift = (index / per - 1) as u32;
    let sub = (index % per) as u64;
    let low = (SUB_BUCKETS + sub) << shift;
    let width = 1u64 << shift;
    low.saturating_add(width / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn empty_histogram_has_no_quantiles() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), None);
        assert_eq!(h.summary(), LatencySummary::default());
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for n in [3, 3, 7, 15] {
            h.record(Duration::from_nanos(n));
        }
        assert_eq!(h.quantile(0.5), Some(Duration::from_nanos(3)));
        assert_eq!(h.quantile(0.75), Some(Duration::from_nanos(7)));
        assert_eq!(h.quantile(1.0), Some(Duration::from_nanos(15)));
    }

    #[test]
    fn percentiles_are_within_bucket_precision() {
        let mut h = Histogram::new();
        for n in 1..=1000 {
            h.record(us(n));
        }
        for (q, want) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let got = h.quantile(q).unwrap().as_secs_f64() * 1e6;
            let error = (got - want).abs() / want;
            assert!(
                error <= 1.0 / SUB_BUCKETS as f64,
                "q={q} got {got} want {want}"
            );
        }
        assert_eq!(h.quantile(1.0), Some(us(1000)));
        assert_eq!(h.quantile(0.0), Some(us(1)));
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert!((s.mean_ms - 0.5005).abs() < 1e-9, "{s:?}");
        assert!((s.max_ms - 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_slow_request_shows_in_p99_only() {
        let mut h = Histogram::new();
        for _ in 0..99 {
            h.record(us(100));
        }
        h.record(Duration::from_millis(250));
        let p50 = h.quantile(0.5).unwrap();
        assert!(p50 >= us(94) && p50 <= us(106), "{p50:?}");
        assert!(h.quantile(0.99).unwrap() < us(106));
        assert_eq!(h.quantile(0.999), Some(Duration::from_millis(250)));
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for n in 1..=300 {
            let d = us(n * 7);
            if n % 3 == 0 { &mut a } else { &mut b }.record(d);
            all.record(d);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let mut h = Histogram::new();
        h.record(Duration::MAX);
        h.record(Duration::ZERO);
        assert_eq!(h.quantile(1.0), Some(Duration::from_nanos(u64::MAX)));
        assert_eq!(h.quantile(f64::NAN), Some(Duration::from_nanos(u64::MAX)));
        assert_eq!(h.quantile(-3.0), Some(Duration::ZERO));
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn buckets_are_monotonic_and_contain_their_values() {
        let mut last = 0;
        for v in (0..20_000u64).chain([1 << 40, (1 << 40) + 12_345, u64::MAX / 3]) {
            let b = bucket_of(v);
            assert!(b >= last || v > 20_000, "{v}");
            last = b;
            let mid = bucket_middle(b);
            let error = mid.abs_diff(v) as f64 / v.max(1) as f64;
            assert!(error <= 1.0 / SUB_BUCKETS as f64, "{v} → {mid}");
        }
    }
}
