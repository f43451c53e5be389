//! Killing the processes at random points of the run. A point is a share of the run's
//! progress, `(acknowledged + written) / 2N`, so kills land while leads are taken in and while
//! they are written, whatever the speed of the machine. The points come from a seeded
//! generator, so a failing run can be repeated with its seed.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use dynamics_emulator::Emulator;
use tokio::sync::watch;

use super::fleet::{Process, ServeSpec};
use super::load::LoadProgress;

/// Kill points are drawn from this share of the run: not the very start (nothing in flight
/// yet) and not the very end (the run may be over before a restarted process is ready).
const POINTS: (f64, f64) = (0.03, 0.85);
/// How often progress is read.
const POLL: Duration = Duration::from_millis(25);

/// One planned kill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KillPoint {
    /// Index of the process in the fleet.
    pub(crate) process: usize,
    /// Progress share at which it is killed.
    pub(crate) at: f64,
}

/// A kill that happened.
#[derive(Debug, Clone)]
pub(crate) struct Kill {
    /// The process's name.
    pub(crate) process: String,
    /// Progress share when it was killed.
    pub(crate) progress: f64,
    /// Leads acknowledged by then.
    pub(crate) acknowledged: usize,
    /// Leads written by then.
    pub(crate) written: usize,
}

/// splitmix64: a small seeded generator (the plan must not depend on a crate's algorithm).
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `kills` points for each of `processes`, in the order they fire.
pub(crate) fn plan(processes: usize, kills: u32, seed: u64) -> Vec<KillPoint> {
    let mut random = SplitMix(seed);
    let mut points: Vec<KillPoint> = (0..processes)
        .flat_map(|process| (0..kills).map(move |_| process))
        .map(|process| KillPoint {
            process,
            at: POINTS.0 + random.next_f64() * (POINTS.1 - POINTS.0),
        })
        .collect();
    points.sort_by(|a, b| a.at.total_cmp(&b.at));
    points
}

/// What the chaos task needs to read progress.
pub(crate) struct Watch {
    pub(crate) emulator: Arc<Emulator>,
    pub(crate) progress: Arc<LoadProgress>,
    /// Leads in the table before the run.
    pub(crate) baseline: usize,
    pub(crate) leads: usize,
}

impl Watch {
    /// Leads written so far.
    pub(crate) fn written(&self) -> usize {
        self.emulator
            .seed()
            .row_count("leads")
            .saturating_sub(self.baseline)
    }

    fn share(&self, acknowledged: usize, written: usize) -> f64 {
        (acknowledged + written) as f64 / (2 * self.leads.max(1)) as f64
    }
}

/// Fires the plan's kills as progress passes their points, restarting each killed process
/// and waiting until it is ready before the next kill. Also restarts a process that died on
/// its own. Returns when every kill has fired and `done` turned true.
pub(crate) async fn run(
    fleet: &mut [Process],
    spec: &ServeSpec,
    plan: Vec<KillPoint>,
    watch: Watch,
    done: watch::Receiver<bool>,
) -> Vec<Kill> {
    let http = reqwest::Client::new();
    let mut kills = Vec::with_capacity(plan.len());
    let mut pending = plan.into_iter().peekable();
    loop {
        for process in fleet.iter_mut() {
            if !process.is_running() {
                process.crashes += 1;
                process.start(spec, &http).await;
            }
        }
        let acknowledged = watch.progress.acknowledged.load(Ordering::Relaxed);
        let written = watch.written();
        let share = watch.share(acknowledged, written);
        let finished = *done.borrow();
        match pending.peek() {
            // Points not reached when the work is done fire now: each process is still
            // killed the planned number of times, and the report shows where.
            Some(point) if point.at <= share || finished => {
                let process = &mut fleet[point.process];
                process.kill9();
                kills.push(Kill {
                    process: process.name.clone(),
                    progress: share,
                    acknowledged,
                    written,
                });
                process.start(spec, &http).await;
                pending.next();
                continue;
            }
            Some(_) => {}
            None if finished => return kills,
            None => {}
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_gives_each_process_its_kills_in_order_within_the_run() {
        let points = plan(2, 3, 42);
        assert_eq!(points.len(), 6);
        for process in 0..2 {
            assert_eq!(points.iter().filter(|p| p.process == process).count(), 3);
        }
        assert!(points.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(points.iter().all(|p| (POINTS.0..POINTS.1).contains(&p.at)));
        assert_eq!(plan(2, 3, 42), points, "the seed fixes the plan");
        assert_ne!(plan(2, 3, 43), points);
    }
}
