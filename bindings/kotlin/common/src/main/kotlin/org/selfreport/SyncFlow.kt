package org.selfreport

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

/** One step of a sync, as [syncFlow] emits it. */
sealed class SyncProgress {
    /** A submission was queued, delivered, rescheduled or refused. */
    data class Event(val event: SyncEvent) : SyncProgress()

    /** The sync ended: the flow's last value, after which it completes. */
    data class Finished(val summary: SyncSummary) : SyncProgress()
}

/**
 * Sends what is due, like [SelfReport.sync], as a cold [Flow] of its progress: each
 * collection runs one sync, emitting a [SyncProgress.Event] per submission and then one
 * [SyncProgress.Finished] with the summary. The work runs on the core's threads; collect
 * it from any dispatcher, the main one included.
 *
 * Cancelling the collector stops the sync between submissions (a request in flight is
 * dropped; queued submissions stay queued and a later sync sends them). A failure of the
 * sync as a whole (`Closed`, a store error) ends the flow with that [SelfReportException].
 * Events are buffered without bound (one per submission), so the core's thread never waits
 * for a slow collector.
 */
fun SelfReport.syncFlow(): Flow<SyncProgress> = callbackFlow {
    val cancellation = SyncCancellation()
    val listener = object : SyncListener {
        override fun onEvent(event: SyncEvent) {
            trySend(SyncProgress.Event(event))
        }
    }
    try {
        val summary = sync(listener, cancellation)
        send(SyncProgress.Finished(summary))
        close()
    } catch (cancelled: CancellationException) {
        cancellation.cancel()
        throw cancelled
    }
    awaitClose { cancellation.cancel() }
}.buffer(Channel.UNLIMITED)
