package org.selfreport.demo.work

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.selfreport.SelfReportException
import org.selfreport.SyncCancellation
import org.selfreport.demo.core.CoreHolder
import org.selfreport.demo.logic.SyncDecision
import org.selfreport.demo.logic.SyncRunner
import org.selfreport.demo.logic.WorkOutcome
import org.selfreport.demo.logic.WorkScheduler

/**
 * Seals what is ready and sends the outbox. WorkManager runs it when the network is up
 * and retries it with exponential backoff while submissions wait; the sync itself runs on
 * the core's threads. Stopping the worker stops the sync (the outbox is on disk, a retry
 * sends the same bytes).
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        if (!CoreHolder.exists(applicationContext)) return Result.success()
        val core = try {
            CoreHolder.get(applicationContext)
        } catch (error: SelfReportException) {
            return result(SyncDecision.outcome(error))
        }
        // Stopping the worker cancels this coroutine, which stops the core's sync task; the
        // runner also cancels the token, so the cancellation tells the truth.
        return SyncCancellation().use { cancellation -> result(SyncRunner().runForWork(core, cancellation)) }
    }

    private fun result(outcome: WorkOutcome): Result = when (outcome) {
        WorkOutcome.SUCCESS -> Result.success()
        WorkOutcome.RETRY -> Result.retry()
        WorkOutcome.FAILURE -> Result.failure()
    }

    /** The unique work name, for observers. */
    companion object {
        /** Unique name of the sync work. */
        const val NAME: String = "selfreport-sync"
    }
}

/** Schedules [SyncWorker] through WorkManager. */
class AndroidWorkScheduler(private val context: Context) : WorkScheduler {
    override fun requestSync() {
        val request = OneTimeWorkRequestBuilder<SyncWorker>()
            .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, BACKOFF_SECONDS, TimeUnit.SECONDS)
            .build()
        // A sync already running may have sealed before the newest record was saved:
        // queue another one after it instead of dropping this request.
        WorkManager.getInstance(context).enqueueUniqueWork(SyncWorker.NAME, ExistingWorkPolicy.APPEND_OR_REPLACE, request)
    }

    override fun cancelSync() {
        WorkManager.getInstance(context).cancelUniqueWork(SyncWorker.NAME)
    }

    private companion object {
        const val BACKOFF_SECONDS = 30L
    }
}
