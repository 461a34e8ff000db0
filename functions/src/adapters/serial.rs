//! Blocking work on one dedicated thread that owns its state, run in the order it was sent. The
//! outbox's files live on one: concurrent sends queue on a channel instead of each parking a
//! blocking-pool thread on a lock, which under 64 concurrent reports cost more than the writes
//! themselves. (The SQLite writer works the same way, and also groups commits: `sqlite/writer.rs`.)

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

type Job<S> = Box<dyn FnOnce(&mut S) + Send>;

pub struct SerialThread<S> {
    name: &'static str,
    jobs: mpsc::Sender<Job<S>>,
}

impl<S> Clone for SerialThread<S> {
    fn clone(&self) -> Self {
        Self { name: self.name, jobs: self.jobs.clone() }
    }
}

impl<S: Send + 'static> SerialThread<S> {
    /// Starts the thread, which ends (dropping `state`) once every handle is dropped.
    pub fn start(name: &'static str, mut state: S) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job<S>>();
        std::thread::Builder::new().name(name.into()).spawn(move || {
            for job in queue {
                // A panicking job fails its own caller (its answer is dropped), not the thread.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut state)));
            }
        })?;
        Ok(Self { name, jobs })
    }

    /// Runs `work` on the thread, after everything sent before it.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut S) -> T + Send + 'static) -> anyhow::Result<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job<S> = Box::new(move |state| {
            let _ = answer.send(work(state));
        });
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the {} thread has stopped", self.name))?;
        answered.await.map_err(|_| anyhow::anyhow!("a job on the {} thread panicked", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_in_order_and_survives_a_panicking_one() {
        let thread = SerialThread::start("serial-test", Vec::new()).unwrap();
        let runs: Vec<_> = (0..50).map(|n| thread.run(move |seen: &mut Vec<i32>| seen.push(n))).collect();
        for run in runs {
            run.await.unwrap();
        }
        let failed = thread.run(|_: &mut Vec<i32>| panic!("a bad job")).await;
        assert!(failed.unwrap_err().to_string().contains("panicked"));
        let seen = thread.run(|seen: &mut Vec<i32>| seen.clone()).await.unwrap();
        assert_eq!(seen, (0..50).collect::<Vec<_>>(), "in the order sent, and the thread lives on");
    }
}
