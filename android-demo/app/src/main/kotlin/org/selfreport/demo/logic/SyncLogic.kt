package org.selfreport.demo.logic

import kotlinx.coroutines.CancellationException
import org.selfreport.SelfReportException
import org.selfreport.SelfReportInterface
import org.selfreport.SyncCancellation
import org.selfreport.SyncEvent
import org.selfreport.SyncListener
import org.selfreport.SyncSummary

/** What a background sync asks of its scheduler (WorkManager's success, retry, failure). */
enum class WorkOutcome {
    /** Done; nothing waits. */
    SUCCESS,

    /** Try again with backoff: the network failed or submissions wait for a retry. */
    RETRY,

    /** Do not retry: the store cannot be used until the person acts (key lost, erased). */
    FAILURE,
}

/** Running totals of one sync's events, for a progress line. */
data class SyncProgress(val queued: Int = 0, val delivered: Int = 0, val retryLater: Int = 0, val failed: Int = 0) {
    /** The progress after one more event. */
    fun after(event: SyncEvent): SyncProgress = when (event) {
        is SyncEvent.Queued -> copy(queued = queued + 1)
        is SyncEvent.Delivered -> copy(delivered = delivered + 1)
        is SyncEvent.RetryLater -> copy(retryLater = retryLater + 1)
        is SyncEvent.Failed -> copy(failed = failed + 1)
    }
}

/** Decides what a sync's result means for the background job that ran it. */
object SyncDecision {
    /** The outcome of a sync that returned [summary]. */
    fun outcome(summary: SyncSummary): WorkOutcome =
        if (summary.cancelled || summary.retryLater > 0u) WorkOutcome.RETRY else WorkOutcome.SUCCESS

    /** The outcome of a sync that threw [error]. */
    fun outcome(error: Throwable): WorkOutcome = when (error) {
        is SelfReportException.Network,
        is SelfReportException.KeySourceFailed,
        is SelfReportException.Conflict,
        -> WorkOutcome.RETRY
        else -> WorkOutcome.FAILURE
    }

    /** The message to show after a sync that returned [summary], if any. */
    fun message(summary: SyncSummary): UiMessage? = when {
        // Told first: someone saw who the person is (the ledger says who, when and why).
        summary.notices > 0u -> UiMessage(MessageCode.ACCESS_NOTICES, count = summary.notices.toLong())
        summary.retryLater > 0u || summary.failed > 0u ->
            UiMessage(MessageCode.SYNC_RETRY_LATER, count = (summary.retryLater + summary.failed).toLong())
        summary.delivered > 0u -> UiMessage(MessageCode.SYNC_DONE, count = summary.delivered.toLong())
        else -> null
    }
}

/**
 * Runs one sync and reports its progress: the same code serves the WorkManager worker and
 * the "send now" button.
 */
class SyncRunner(private val onProgress: (SyncProgress) -> Unit = {}) {
    /**
     * Syncs [core] until done or [cancellation] is cancelled; returns the summary, or the
     * error it failed with. The sync runs on the core's threads and [onProgress] is called
     * on one of them. Cancelling the calling coroutine stops the sync at once (the core
     * aborts its task), runs [onCoroutineCancelled] (by default: cancel [cancellation] as
     * well, so the token tells the truth) and is rethrown, never swallowed.
     */
    suspend fun run(
        core: SelfReportInterface,
        cancellation: SyncCancellation? = null,
        onCoroutineCancelled: () -> Unit = { cancellation?.cancel() },
    ): Result<SyncSummary> {
        var progress = SyncProgress()
        val lock = Any()
        val listener = object : SyncListener {
            override fun onEvent(event: SyncEvent) {
                synchronized(lock) {
                    progress = progress.after(event)
                    onProgress(progress)
                }
            }
        }
        return try {
            Result.success(core.sync(listener, cancellation))
        } catch (cancelled: CancellationException) {
            onCoroutineCancelled()
            throw cancelled
        } catch (error: Exception) {
            Result.failure(error)
        }
    }

    /** Runs one sync and decides what the background job should do next. */
    suspend fun runForWork(core: SelfReportInterface, cancellation: SyncCancellation? = null): WorkOutcome =
        run(core, cancellation).fold(
            onSuccess = { SyncDecision.outcome(it) },
            onFailure = { SyncDecision.outcome(it) },
        )
}
