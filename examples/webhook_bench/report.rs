//! The report: medians over the rounds, ratios to the no-webhook runs, and the verdict.

use crate::{Options, Sample, Setup};

pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// One set-up over all rounds.
pub(crate) struct Summary {
    setup: Setup,
    /// Median wall-clock calls/s.
    calls_per_s: f64,
    /// Median over the rounds of calls/s relative to the same round's run of the base set-up
    /// (pairing rounds cancels slow drifts in what else the machine is doing).
    pub(crate) paired: Option<f64>,
    /// Median CPU µs per call: server, receiver, and the two together.
    server_us: Option<f64>,
    receiver_us: Option<f64>,
    cpu_us: Option<f64>,
    /// Sums over the rounds.
    totals: Sample,
}

pub(crate) fn summarize(setup: Setup, samples: &[Sample], base: Option<&[Sample]>) -> Summary {
    let med = |f: fn(&Sample) -> Option<f64>| median(samples.iter().filter_map(f).collect());
    let paired = base.and_then(|b| {
        median(samples.iter().zip(b).map(|(s, b)| s.calls_per_s / b.calls_per_s.max(f64::MIN_POSITIVE)).collect())
    });
    Summary {
        setup,
        calls_per_s: med(|s| Some(s.calls_per_s)).unwrap_or_default(),
        paired,
        server_us: med(|s| s.server_us),
        receiver_us: med(|s| s.receiver_us),
        cpu_us: med(|s| s.server_us.map(|a| a + s.receiver_us.unwrap_or(0.0))),
        totals: Sample {
            delivered: samples.iter().map(|s| s.delivered).sum(),
            dropped: samples.iter().map(|s| s.dropped).sum(),
            failed: samples.iter().map(|s| s.failed).sum(),
            posts: samples.iter().map(|s| s.posts).sum(),
            bytes: samples.iter().map(|s| s.bytes).sum(),
            ..Sample::default()
        },
    }
}

pub(crate) fn label(setup: Setup, opts: &Options) -> String {
    match setup {
        Setup::None => "(a) no webhook".into(),
        Setup::Noop => "pass-through middleware, no webhook".into(),
        Setup::Batched => {
            format!("(c) all events, batched {}/{}ms/q{}", opts.batch, opts.batch_delay.as_millis(), opts.queue)
        }
        Setup::PerPost => "(b) all events, one per POST".into(),
        Setup::Stalled => "all events, endpoint never answers".into(),
    }
}

pub(crate) fn pct(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".into(), |r| format!("{:+.1} %", (r - 1.0) * 100.0))
}

pub(crate) fn print_table(opts: &Options, results: &[Summary], batched_vs_noop: Option<f64>) {
    let base = results.iter().find(|r| r.setup == Setup::None);
    let ratio = |v: Option<f64>, b: Option<f64>| v.zip(b).map(|(v, b)| v / b.max(f64::MIN_POSITIVE));
    println!(
        "{:<40} {:>8} {:>7} {:>7} {:>13} {:>7} {:>9} {:>8} {:>6} {:>8} {:>5}",
        "set-up",
        "calls/s",
        "vs (a)",
        "paired",
        "CPU µs/call",
        "vs (a)",
        "delivered",
        "dropped",
        "failed",
        "ev./POST",
        "B/ev."
    );
    for r in results {
        let cpu = match (r.server_us, r.receiver_us) {
            (Some(s), Some(rc)) => format!("{s:.2} + {rc:.2}"),
            _ => "-".into(),
        };
        let t = &r.totals;
        #[expect(clippy::cast_precision_loss, reason = "event counts are far below 2^52")]
        let (per_post, per_event) = if t.posts == 0 || t.delivered == 0 {
            ("-".into(), "-".into())
        } else {
            (
                format!("{:.1}", t.delivered as f64 / t.posts as f64),
                format!("{:.0}", t.bytes as f64 / t.delivered as f64),
            )
        };
        println!(
            "{:<40} {:>8.0} {:>7} {:>7} {:>13} {:>7} {:>9} {:>8} {:>6} {:>8} {:>5}",
            label(r.setup, opts),
            r.calls_per_s,
            pct(ratio(Some(r.calls_per_s), base.map(|b| b.calls_per_s))),
            pct(r.paired),
            cpu,
            pct(ratio(r.cpu_us, base.and_then(|b| b.cpu_us))),
            t.delivered,
            t.dropped,
            t.failed,
            per_post,
            per_event
        );
    }
    println!(
        "calls/s and CPU µs/call (server process + receiver process): medians over the rounds; vs (a): ratio of\n\
         those medians to (a)'s; paired: median of each round's calls/s ratio to that round's (a) run; event\n\
         counts: sums over the rounds"
    );
    let Some(c) = results.iter().find(|r| r.setup == Setup::Batched) else { return };
    let Some(b) = base else { return };
    let wall = c.calls_per_s / b.calls_per_s.max(f64::MIN_POSITIVE);
    // Within only if both ways of comparing say so.
    let worst = c.paired.map_or(wall, |p| p.min(wall));
    let verdict = if worst >= 0.9 { "within" } else { "NOT within" };
    println!(
        "(c) vs (a), all three events on: {} calls/s ({} paired), {} CPU per call: {verdict} the 10 % target",
        pct(Some(wall)),
        pct(c.paired),
        pct(ratio(c.cpu_us, b.cpu_us))
    );
    if let (Some(cc), Some(bc)) = (c.cpu_us, b.cpu_us) {
        // Independent of how fast the machine is today, unlike the ratios.
        println!("(c) adds {:.2} µs of CPU per call (server + receiver), {:.2} µs per event", cc - bc, (cc - bc) / 2.0);
    }
    if batched_vs_noop.is_some() {
        // A middleware layer alone can move wall-clock figures either way (scheduling); this
        // isolates what the webhook itself adds.
        println!("(c) vs the pass-through middleware: {} calls/s (paired)", pct(batched_vs_noop));
    }
}
