//! Threads that own something (a database connection, or nothing but a core) and run
//! jobs sent from async code: a job goes over a channel, runs on whichever thread is
//! free with that thread's own state, and its answer comes back on a oneshot. Used for
//! the embedded ledger's readers and for backtests.

use std::fmt;

type Job<S> = Box<dyn FnOnce(&mut S) + Send>;

/// A pool of job threads, one per state given. Cheap to clone; the threads stop when
/// the last clone is dropped.
pub struct JobThreads<S> {
    jobs: flume::Sender<Job<S>>,
}

/// The threads have stopped: the job was not run, or its answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {0} threads have stopped")]
pub struct Stopped(pub &'static str);

/// How the threads are scheduled beside the rest of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduling {
    /// Like every other thread.
    Normal,
    /// Only on a core nothing else wants (Linux's `SCHED_IDLE`): background work that
    /// takes the idle cores and steps aside the moment a request needs one. Where the
    /// system refuses, the threads run as [`Scheduling::Normal`], and say so in the log.
    WhenIdle,
}

impl Scheduling {
    fn apply(self, name: &str) {
        if self == Self::Normal {
            return;
        }
        #[cfg(target_os = "linux")]
        {
            use thread_priority::unix::{
                NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
                thread_native_id,
            };
            let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
            if let Err(error) = set_thread_priority_and_policy(
                thread_native_id(),
                thread_priority::ThreadPriority::Min,
                idle,
            ) {
                tracing::warn!(
                    thread = name,
                    ?error,
                    "could not run the thread only when idle"
                );
            }
        }
        #[cfg(not(target_os = "linux"))]
        tracing::warn!(
            thread = name,
            "running only when idle is not supported here"
        );
    }
}

impl<S: Send + 'static> JobThreads<S> {
    /// Starts a thread for each of `states`, named `{name}-{n}`; jobs that may wait for
    /// a thread before senders wait too: `queue` (none: no bound).
    pub fn start(
        name: &'static str,
        states: Vec<S>,
        queue: Option<usize>,
    ) -> std::io::Result<Self> {
        Self::start_scheduled(name, states, queue, Scheduling::Normal)
    }

    /// Like [`Self::start`], the threads scheduled as `scheduling` says.
    pub fn start_scheduled(
        name: &'static str,
        states: Vec<S>,
        queue: Option<usize>,
        scheduling: Scheduling,
    ) -> std::io::Result<Self> {
        let (jobs, waiting) = match queue {
            Some(bound) => flume::bounded::<Job<S>>(bound),
            None => flume::unbounded::<Job<S>>(),
        };
        for (number, mut state) in states.into_iter().enumerate() {
            let waiting = waiting.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{number}"))
                .spawn(move || {
                    scheduling.apply(name);
                    while let Ok(job) = waiting.recv() {
                        job(&mut state);
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `job` on a free thread with its state and answers what it returned;
    /// `name` says which threads in the error.
    pub async fn run<T: Send + 'static>(
        &self,
        name: &'static str,
        job: impl FnOnce(&mut S) -> T + Send + 'static,
    ) -> Result<T, Stopped> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send_async(Box::new(move |state: &mut S| {
                let _ = done.send(job(state));
            }))
            .await
            .map_err(|_| Stopped(name))?;
        answer.await.map_err(|_| Stopped(name))
    }
}

impl<S> Clone for JobThreads<S> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

impl<S> fmt::Debug for JobThreads<S> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("JobThreads")
            .field("waiting", &self.jobs.len())
            .finish()
    }
}
