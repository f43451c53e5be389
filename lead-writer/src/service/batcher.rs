//! Group commit for the intake: leads arriving together are stored with one
//! [`Spool::enqueue_batch`] (one commit, one disk sync) instead of one commit each, which is
//! what bounds acknowledgements per second on SQLite with `synchronous=FULL`. Each request
//! still gets its answer only after the commit holding its lead returned.
//!
//! A single task drains the queue: it takes what is waiting (up to the batch size) and stores
//! it; under light load a batch is one lead, so nobody waits for a batch to fill.

use tokio::sync::{mpsc, oneshot};

use crate::Spool;
use crate::spool::{Enqueued, Received, SpoolError};

type Reply = oneshot::Sender<Result<Enqueued, SpoolError>>;

/// The handle requests use; the task ends when every handle is gone.
#[derive(Debug)]
pub(crate) struct Batcher {
    queue: mpsc::Sender<(Received, Reply)>,
}

impl Batcher {
    /// Starts the task on the current tokio runtime; `None` outside one (the caller then
    /// stores each lead on its own).
    pub(crate) fn start(spool: Spool, max_batch: usize) -> Option<Batcher> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (queue, mut waiting) = mpsc::channel::<(Received, Reply)>(max_batch * 4);
        runtime.spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match waiting.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (leads, replies): (Vec<Received>, Vec<Reply>) = batch.into_iter().unzip();
                match spool.enqueue_batch(&leads).await {
                    // One answer per lead, in order; a missing one drops its reply, which
                    // its request reads as a failure (503), never as stored.
                    Ok(answers) => {
                        for (reply, answer) in replies.into_iter().zip(answers) {
                            let _ = reply.send(Ok(answer));
                        }
                    }
                    // All or nothing: none of the batch was stored.
                    Err(error) => {
                        for reply in replies {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                }
            }
        });
        Some(Batcher { queue })
    }

    /// Stores `received` in the next batch; returns once that batch is durable.
    pub(crate) async fn enqueue(&self, received: Received) -> Result<Enqueued, SpoolError> {
        let stopped = || SpoolError::Storage("the intake's spool task stopped".to_owned());
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((received, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}
